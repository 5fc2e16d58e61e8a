using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// What the three MLP estimators share: options checked at construction, schema checks in
/// <see cref="GetOutputSchema"/> and at Fit, and the Fit overloads ML.NET users know — plain, with an
/// explicit validation set (as the boosted-tree trainers), and warm start from a trained model (as the
/// linear trainers).
/// </summary>
/// <typeparam name="TOptions">The trainer's options type.</typeparam>
/// <typeparam name="TTransformer">The prediction transformer Fit returns.</typeparam>
public abstract class MlpTrainerBase<TOptions, TTransformer> : IEstimator<TTransformer>
    where TOptions : MlpOptionsBase
    where TTransformer : MlpPredictionTransformerBase
{
    private protected MlpTrainerBase(IHostEnvironment env, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TrainerRegistration.Register(env);
        Environment = env;
        TrainerOptions = options;
    }

    private protected IHostEnvironment Environment { get; }

    private protected TOptions TrainerOptions { get; }

    private protected abstract TaskKind Task { get; }

    /// <summary>Trains on <paramref name="input"/> (validation rows are carved out of it when <c>ValidationFraction</c> &gt; 0).</summary>
    /// <param name="input">Training data with the label, feature and (optional) weight columns.</param>
    public TTransformer Fit(IDataView input) => Fit(input, validationData: null, warmStart: null);

    /// <summary>
    /// Trains on <paramref name="trainData"/> and reports, selects the best epoch and stops early on
    /// <paramref name="validationData"/> (which is never trained on).
    /// </summary>
    /// <param name="trainData">Training data.</param>
    /// <param name="validationData">Validation data with the same columns.</param>
    public TTransformer Fit(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(validationData);
        return Fit(trainData, validationData, warmStart: null);
    }

    /// <summary>
    /// Continues training <paramref name="modelParameters"/> (from an earlier Fit or a loaded model.zip) on
    /// <paramref name="trainData"/>; the architecture in the options must match the model's.
    /// </summary>
    /// <param name="trainData">Training data.</param>
    /// <param name="modelParameters">The model to start from; it is not modified (training works on a copy).</param>
    public TTransformer Fit(IDataView trainData, MlpModelParameters modelParameters)
    {
        ArgumentNullException.ThrowIfNull(modelParameters);
        return Fit(trainData, validationData: null, warmStart: modelParameters);
    }

    private TTransformer Fit(IDataView trainData, IDataView? validationData, MlpModelParameters? warmStart)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var columns = TrainingDataReader.CheckSchema(trainData.Schema, Task, TrainerOptions.FeatureColumnName, TrainerOptions.LabelColumnName, TrainerOptions.ExampleWeightColumnName);
        var model = Train(trainData, validationData, warmStart, columns);
        return CreateTransformer(model, columns);
    }

    private protected abstract MlpModelParameters Train(IDataView trainData, IDataView? validationData, MlpModelParameters? warmStart, TrainingDataReader.Columns columns);

    private protected abstract TTransformer CreateTransformer(MlpModelParameters model, TrainingDataReader.Columns columns);

    /// <summary>The output schema shape: the input plus this task's score columns. Checks the label, feature and weight columns.</summary>
    /// <param name="inputSchema">The shape of the training data.</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it and the expected type).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string feature = TrainerOptions.FeatureColumnName;
        if (!MLNetBridge.TryFindColumn(inputSchema, feature, out var f))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{feature}' not found; expected a known-size vector of Single.");
        if (f.Kind != SchemaShape.Column.VectorKind.Vector || f.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{feature}' is {Describe(f)}; expected a known-size vector of Single.");
        string label = TrainerOptions.LabelColumnName;
        if (!MLNetBridge.TryFindColumn(inputSchema, label, out var l))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{label}' not found.");
        CheckLabel(l);
        if (TrainerOptions.ExampleWeightColumnName is { } weight)
        {
            if (!MLNetBridge.TryFindColumn(inputSchema, weight, out var w))
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Example weight column '{weight}' not found.");
            if (w.Kind != SchemaShape.Column.VectorKind.Scalar || w.ItemType != NumberDataViewType.Single)
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Example weight column '{weight}' is {Describe(w)}; expected Single.");
        }
        return MLNetBridge.AppendColumns(inputSchema, OutputShape(l));
    }

    private protected static string Describe(SchemaShape.Column c) =>
        c.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => $"a scalar of {c.ItemType}",
            SchemaShape.Column.VectorKind.Vector => $"a vector of {c.ItemType}",
            _ => $"a variable-size vector of {c.ItemType}",
        } + (c.IsKey ? " (key)" : "");

    private protected abstract void CheckLabel(SchemaShape.Column label);

    private protected abstract IEnumerable<SchemaShape.Column> OutputShape(SchemaShape.Column label);

    private protected static SchemaShape ScoreAnnotationShape(bool slotNames = false, bool isNormalized = false)
    {
        var cols = new List<SchemaShape.Column>
        {
            MLNetBridge.CreateColumn("ScoreColumnKind", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
            MLNetBridge.CreateColumn("ScoreValueKind", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
        };
        if (slotNames) cols.Add(MLNetBridge.CreateColumn("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false));
        if (isNormalized) cols.Add(MLNetBridge.CreateColumn("IsNormalized", SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false));
        return new SchemaShape(cols);
    }

    private protected MlpModelParameters TrainCore(IDataView trainData, TrainingDataReader.Columns columns, IDataView? validationData, MlpModelParameters? warmStart, TaskPlan plan)
        => MlpTrainingCore.Train(Environment, TrainerOptions, plan, trainData, columns, validationData, warmStart);
}
