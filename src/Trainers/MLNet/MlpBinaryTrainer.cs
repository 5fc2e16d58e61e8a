using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Trains a multi-layer perceptron for binary classification (sigmoid cross-entropy on one logit).
/// Reached through <c>mlContext.BinaryClassification.Trainers.Mlp(...)</c>. The label must be Boolean;
/// the output is <c>Score</c> (the logit), <c>Probability</c> and <c>PredictedLabel</c>.
/// </summary>
public sealed class MlpBinaryTrainer : MlpTrainerBase<MlpBinaryTrainer.Options, MlpBinaryPredictionTransformer>
{
    /// <summary>Options of the binary MLP trainer; see <see cref="MlpOptionsBase"/> for the shared ones.</summary>
    public sealed class Options : MlpOptionsBase
    {
        /// <summary>Options with the <see cref="MlpPreset.Tabular"/> recipe's defaults.</summary>
        public Options() : this(MlpPreset.Tabular) { }

        /// <summary>Options with <paramref name="preset"/>'s defaults (<see cref="MlpPreset.Classic"/> reproduces the results of the release before the tabular recipe).</summary>
        /// <param name="preset">The starting point.</param>
        public Options(MlpPreset preset) : base(preset) => MlpPresets.Apply(this, preset);

        /// <summary>How the two classes are weighted in the loss (default <see cref="ClassWeighting.None"/>).</summary>
        public ClassWeighting ClassWeighting { get; set; }

        /// <summary>Weights of [false, true], used when <see cref="ClassWeighting"/> is <see cref="ClassWeighting.Explicit"/> (setting them selects Explicit; default null).</summary>
        public float[]? ClassWeights { get; set; }

        /// <summary>Label smoothing ε in [0, 1): the loss's targets are y·(1 − ε) + ε/2, so the logit is not pushed towards ±∞ (tabular 0.1; classic 0).</summary>
        public float LabelSmoothing { get; set; }

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            CheckMonitor("binary classification", ValidationMonitor.Loss, ValidationMonitor.Accuracy, ValidationMonitor.Auc);
            if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be in [0, 1).");
            ClassWeightOptions.Validate(ClassWeighting, ClassWeights, weights =>
            {
                if (weights.Length != 2) throw new ArgumentOutOfRangeException(nameof(ClassWeights), weights.Length, "A binary trainer takes two class weights: [false, true].");
            });
        }
    }

    internal MlpBinaryTrainer(IHostEnvironment env, Options options) : base(env, options) { }

    private protected override TaskKind Task => TaskKind.Binary;

    private protected override MlpModelParameters Train(IDataView trainData, IDataView? validationData, MlpModelParameters? warmStart, TrainingDataReader.Columns columns)
    {
        var weighting = ClassWeightOptions.Effective(TrainerOptions.ClassWeighting, TrainerOptions.ClassWeights);
        return TrainCore(trainData, columns, validationData, warmStart,
            new TaskPlan(Task, 1, LossKind.SigmoidCrossEntropy, TrainerOptions.LabelSmoothing, ClassWeights: TrainerOptions.ClassWeights, Weighting: weighting));
    }

    private protected override MlpBinaryPredictionTransformer CreateTransformer(MlpModelParameters model, TrainingDataReader.Columns columns) =>
        new(Environment, model, TrainerOptions.FeatureColumnName);

    private protected override void CheckLabel(SchemaShape.Column label)
    {
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || label.ItemType != BooleanDataViewType.Instance)
            throw new ArgumentOutOfRangeException("inputSchema", LabelTypeMessages.WrongType(Task, label.Name, LabelTypeMessages.TypeName(label)));
    }

    private protected override IEnumerable<SchemaShape.Column> OutputShape(SchemaShape.Column label)
    {
        yield return MLNetBridge.CreateColumn("Score", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreAnnotationShape());
        yield return MLNetBridge.CreateColumn("Probability", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreAnnotationShape(isNormalized: true));
        yield return MLNetBridge.CreateColumn("PredictedLabel", SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false, ScoreAnnotationShape());
    }
}
