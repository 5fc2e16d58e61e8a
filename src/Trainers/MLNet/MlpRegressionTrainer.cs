using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Trains a multi-layer perceptron for regression (mean squared error or Huber loss). Reached through
/// <c>mlContext.Regression.Trainers.Mlp(...)</c>. The label must be Single; it is standardised inside
/// the trainer, so targets in any units train well, and <c>Score</c> comes back in the label's units.
/// </summary>
public sealed class MlpRegressionTrainer : MlpTrainerBase<MlpRegressionTrainer.Options, MlpRegressionPredictionTransformer>
{
    /// <summary>Options of the regression MLP trainer; see <see cref="MlpOptionsBase"/> for the shared ones.</summary>
    public sealed class Options : MlpOptionsBase
    {
        /// <summary>Options with the <see cref="MlpPreset.Tabular"/> recipe's defaults.</summary>
        public Options() : this(MlpPreset.Tabular) { }

        /// <summary>Options with <paramref name="preset"/>'s defaults (<see cref="MlpPreset.Classic"/> reproduces the results of the release before the tabular recipe).</summary>
        /// <param name="preset">The starting point.</param>
        public Options(MlpPreset preset) : base(preset) => MlpPresets.Apply(this, preset);

        /// <summary>The loss: <see cref="RegressionLoss.MeanSquaredError"/> (default) or <see cref="RegressionLoss.Huber"/>.</summary>
        public RegressionLoss Loss { get; set; } = RegressionLoss.MeanSquaredError;

        /// <summary>δ of the Huber loss, in standardised label units (default 1).</summary>
        public float HuberDelta { get; set; } = 1f;

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            CheckMonitor("regression", ValidationMonitor.Loss, ValidationMonitor.RSquared);
            if (!Enum.IsDefined(Loss))
                throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "A regression loss is MeanSquaredError or Huber.");
            if (!(HuberDelta > 0 && float.IsFinite(HuberDelta))) throw new ArgumentOutOfRangeException(nameof(HuberDelta), HuberDelta, "HuberDelta must be a finite number > 0.");
        }
    }

    internal MlpRegressionTrainer(IHostEnvironment env, Options options) : base(env, options) { }

    private protected override TaskKind Task => TaskKind.Regression;

    private protected override MlpModelParameters Train(IDataView trainData, IDataView? validationData, MlpModelParameters? warmStart, TrainingDataReader.Columns columns) =>
        TrainCore(trainData, columns, validationData, warmStart,
            new TaskPlan(Task, 1, TrainerOptions.Loss == RegressionLoss.Huber ? LossKind.Huber : LossKind.MeanSquaredError, HuberDelta: TrainerOptions.HuberDelta));

    private protected override MlpRegressionPredictionTransformer CreateTransformer(MlpModelParameters model, TrainingDataReader.Columns columns) =>
        new(Environment, model, TrainerOptions.FeatureColumnName);

    private protected override void CheckLabel(SchemaShape.Column label)
    {
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || label.ItemType != NumberDataViewType.Single || label.IsKey)
            throw new ArgumentOutOfRangeException("inputSchema", LabelTypeMessages.WrongType(Task, label.Name, LabelTypeMessages.TypeName(label)));
    }

    private protected override IEnumerable<SchemaShape.Column> OutputShape(SchemaShape.Column label)
    {
        yield return MLNetBridge.CreateColumn("Score", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreAnnotationShape());
    }
}
