using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Trains a multi-layer perceptron for multiclass classification (softmax cross-entropy). Reached
/// through <c>mlContext.MulticlassClassification.Trainers.Mlp(...)</c>. The label must be a key
/// (use MapValueToKey); the output is <c>Score</c> (class probabilities) and <c>PredictedLabel</c>.
/// </summary>
public sealed class MlpMulticlassTrainer : MlpTrainerBase<MlpMulticlassTrainer.Options, MlpMulticlassPredictionTransformer>
{
    /// <summary>Options of the multiclass MLP trainer; see <see cref="MlpOptionsBase"/> for the shared ones.</summary>
    public sealed class Options : MlpOptionsBase
    {
        /// <summary>Options with the <see cref="MlpPreset.Tabular"/> recipe's defaults.</summary>
        public Options() : this(MlpPreset.Tabular) { }

        /// <summary>Options with <paramref name="preset"/>'s defaults (<see cref="MlpPreset.Classic"/> reproduces the results of the release before the tabular recipe).</summary>
        /// <param name="preset">The starting point.</param>
        public Options(MlpPreset preset) : base(preset) => MlpPresets.Apply(this, preset);

        /// <summary>How classes are weighted in the loss (default <see cref="ClassWeighting.None"/>).</summary>
        public ClassWeighting ClassWeighting { get; set; }

        /// <summary>Per-class weights, in key order, used when <see cref="ClassWeighting"/> is <see cref="ClassWeighting.Explicit"/> (setting them selects Explicit; default null).</summary>
        public float[]? ClassWeights { get; set; }

        /// <summary>Label smoothing in [0, 1), as PyTorch's CrossEntropyLoss (tabular 0.1; classic 0).</summary>
        public float LabelSmoothing { get; set; }

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            CheckMonitor("multiclass classification", ValidationMonitor.Loss, ValidationMonitor.Accuracy);
            ClassWeightOptions.Validate(ClassWeighting, ClassWeights); // the count is checked at Fit, against the label's classes
            if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be in [0, 1).");
        }
    }

    internal MlpMulticlassTrainer(IHostEnvironment env, Options options) : base(env, options) { }

    private protected override TaskKind Task => TaskKind.Multiclass;

    private protected override MlpModelParameters Train(IDataView trainData, IDataView? validationData, MlpModelParameters? warmStart, TrainingDataReader.Columns columns)
    {
        var weighting = ClassWeightOptions.Effective(TrainerOptions.ClassWeighting, TrainerOptions.ClassWeights);
        if (weighting == ClassWeighting.Explicit && TrainerOptions.ClassWeights!.Length != columns.ClassCount)
            throw new ArgumentOutOfRangeException(nameof(Options.ClassWeights), TrainerOptions.ClassWeights.Length, $"ClassWeights has {TrainerOptions.ClassWeights.Length} values; label column '{TrainerOptions.LabelColumnName}' has {columns.ClassCount} classes.");
        return TrainCore(trainData, columns, validationData, warmStart,
            new TaskPlan(Task, columns.ClassCount, LossKind.SoftmaxCrossEntropy, TrainerOptions.LabelSmoothing, ClassWeights: TrainerOptions.ClassWeights, Weighting: weighting));
    }

    private protected override MlpMulticlassPredictionTransformer CreateTransformer(MlpModelParameters model, TrainingDataReader.Columns columns) =>
        new(Environment, model, TrainerOptions.FeatureColumnName, LabelKeyValues.FromColumn(columns.Label!.Value, columns.ClassCount));

    private protected override void CheckLabel(SchemaShape.Column label)
    {
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException("inputSchema", LabelTypeMessages.WrongType(Task, label.Name, LabelTypeMessages.TypeName(label)));
    }

    private protected override IEnumerable<SchemaShape.Column> OutputShape(SchemaShape.Column label)
    {
        bool hasKeyValues = label.Annotations is not null && MLNetBridge.TryFindColumn(label.Annotations, "KeyValues", out _);
        var keyValues = hasKeyValues ? new SchemaShape(label.Annotations!.Where(a => a.Name == "KeyValues")) : null;
        yield return MLNetBridge.CreateColumn("Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, ScoreAnnotationShape(slotNames: hasKeyValues));
        yield return MLNetBridge.CreateColumn("PredictedLabel", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, keyValues);
    }
}
