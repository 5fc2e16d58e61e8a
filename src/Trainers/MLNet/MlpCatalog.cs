using MLNetBackprop;
using MLNetBackprop.Internals;

// Catalog extensions live in namespace Microsoft.ML, as ML.NET's own trainer packages' do, so that
// `using Microsoft.ML;` alone makes them visible.
namespace Microsoft.ML;

/// <summary>
/// The MLP trainers' entry points on ML.NET's catalogs:
/// <c>mlContext.MulticlassClassification.Trainers.Mlp(...)</c>, <c>mlContext.BinaryClassification.Trainers.Mlp(...)</c>
/// and <c>mlContext.Regression.Trainers.Mlp(...)</c>, each with a simple overload and an options overload.
/// </summary>
public static class MlpCatalog
{
    /// <summary>A multiclass MLP with the most used knobs; everything else takes the defaults of <see cref="MlpMulticlassTrainer.Options"/>.</summary>
    /// <param name="catalog">mlContext.MulticlassClassification.Trainers.</param>
    /// <param name="labelColumnName">Label column, a key (default "Label").</param>
    /// <param name="featureColumnName">Feature column, a known-size Single vector (default "Features").</param>
    /// <param name="exampleWeightColumnName">Optional example-weight column of Single (default null = every row weighs 1).</param>
    /// <param name="hiddenLayers">Hidden layer widths (default null = the options' default).</param>
    /// <param name="optimizer">Optimizer or its name (default null = the options' default).</param>
    /// <param name="epochs">Epochs (default null = the options' default).</param>
    /// <param name="batchSize">Rows per mini-batch (default null = the options' default).</param>
    public static MlpMulticlassTrainer Mlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int[]? hiddenLayers = null, Optimizer? optimizer = null, int? epochs = null, int? batchSize = null)
        => catalog.Mlp(Fill(new MlpMulticlassTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayers, optimizer, epochs, batchSize));

    /// <summary>A multiclass MLP configured by <paramref name="options"/>.</summary>
    /// <param name="catalog">mlContext.MulticlassClassification.Trainers.</param>
    /// <param name="options">The options; validated now and again at Fit.</param>
    public static MlpMulticlassTrainer Mlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MlpMulticlassTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpMulticlassTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }

    /// <summary>A binary MLP with the most used knobs; everything else takes the defaults of <see cref="MlpBinaryTrainer.Options"/>.</summary>
    /// <param name="catalog">mlContext.BinaryClassification.Trainers.</param>
    /// <param name="labelColumnName">Label column, Boolean (default "Label").</param>
    /// <param name="featureColumnName">Feature column, a known-size Single vector (default "Features").</param>
    /// <param name="exampleWeightColumnName">Optional example-weight column of Single (default null = every row weighs 1).</param>
    /// <param name="hiddenLayers">Hidden layer widths (default null = the options' default).</param>
    /// <param name="optimizer">Optimizer or its name (default null = the options' default).</param>
    /// <param name="epochs">Epochs (default null = the options' default).</param>
    /// <param name="batchSize">Rows per mini-batch (default null = the options' default).</param>
    public static MlpBinaryTrainer Mlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int[]? hiddenLayers = null, Optimizer? optimizer = null, int? epochs = null, int? batchSize = null)
        => catalog.Mlp(Fill(new MlpBinaryTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayers, optimizer, epochs, batchSize));

    /// <summary>A binary MLP configured by <paramref name="options"/>.</summary>
    /// <param name="catalog">mlContext.BinaryClassification.Trainers.</param>
    /// <param name="options">The options; validated now and again at Fit.</param>
    public static MlpBinaryTrainer Mlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, MlpBinaryTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpBinaryTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }

    /// <summary>A regression MLP with the most used knobs; everything else takes the defaults of <see cref="MlpRegressionTrainer.Options"/>.</summary>
    /// <param name="catalog">mlContext.Regression.Trainers.</param>
    /// <param name="labelColumnName">Label column, Single (default "Label").</param>
    /// <param name="featureColumnName">Feature column, a known-size Single vector (default "Features").</param>
    /// <param name="exampleWeightColumnName">Optional example-weight column of Single (default null = every row weighs 1).</param>
    /// <param name="hiddenLayers">Hidden layer widths (default null = the options' default).</param>
    /// <param name="optimizer">Optimizer or its name (default null = the options' default).</param>
    /// <param name="epochs">Epochs (default null = the options' default).</param>
    /// <param name="batchSize">Rows per mini-batch (default null = the options' default).</param>
    public static MlpRegressionTrainer Mlp(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int[]? hiddenLayers = null, Optimizer? optimizer = null, int? epochs = null, int? batchSize = null)
        => catalog.Mlp(Fill(new MlpRegressionTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayers, optimizer, epochs, batchSize));

    /// <summary>A regression MLP configured by <paramref name="options"/>.</summary>
    /// <param name="catalog">mlContext.Regression.Trainers.</param>
    /// <param name="options">The options; validated now and again at Fit.</param>
    public static MlpRegressionTrainer Mlp(this RegressionCatalog.RegressionTrainers catalog, MlpRegressionTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpRegressionTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }

    private static T Fill<T>(T options, string label, string features, string? weight, int[]? hidden, Optimizer? optimizer, int? epochs, int? batchSize)
        where T : MlpOptionsBase
    {
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        options.ExampleWeightColumnName = weight;
        if (hidden is not null) options.HiddenLayers = hidden;
        if (optimizer is not null) options.Optimizer = optimizer;
        if (epochs is { } e) options.Epochs = e;
        if (batchSize is { } b) options.BatchSize = b;
        return options;
    }
}
