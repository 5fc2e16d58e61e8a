using System.Collections.Immutable;
using Microsoft.ML.Data;
using MLNetBackprop;

// Catalog extensions live in namespace Microsoft.ML, as ML.NET's own trainer packages' do, so that
// `using Microsoft.ML;` alone makes them visible.
namespace Microsoft.ML;

/// <summary>
/// Permutation feature importance of a whole trained model (a chain) that contains an MLP:
/// <c>mlContext.MulticlassClassification.PermutationFeatureImportanceOfMlp(model, data)</c>, and the same for binary
/// classification and regression.
/// </summary>
/// <remarks>
/// <para>ML.NET's whole-model overload, <c>PermutationFeatureImportance(ITransformer model, IDataView data, …)</c>, finds
/// the predictor through an interface that is internal to ML.NET (the non-generic
/// <c>ISingleFeaturePredictionTransformer</c>), which no transformer outside ML.NET can implement, so for a chain ending
/// in an MLP it fails with "The model provided does not have a compatible predictor (Parameter 'lastTransformer')".
/// ML.NET's typed overload, <c>PermutationFeatureImportance(predictionTransformer, transformedData, …)</c>, works with our
/// transformers; these methods do the bookkeeping around it for a whole chain.</para>
/// <para>What they do: flatten the chain (nested <see cref="TransformerChain{TLastTransformer}"/>s included), take the
/// last MLP prediction transformer of the task, pass the data through the steps before it, call ML.NET's
/// typed overload on it, and key its results by the feature column's slot names. Steps after the MLP (e.g.
/// <c>MapKeyToValue("PredictedLabel")</c>) are not run: the metrics are computed on the MLP's own outputs.</para>
/// </remarks>
public static class MlpPermutationFeatureImportanceExtensions
{
    /// <summary>
    /// Permutation feature importance of the multiclass MLP inside <paramref name="model"/>, per feature: for each slot of
    /// the MLP's feature column, the change of every multiclass metric when that slot's values are shuffled across rows
    /// (negative = the metric got worse = the feature matters; e.g. sort by <c>MicroAccuracy.Mean</c>).
    /// </summary>
    /// <param name="catalog"><c>mlContext.MulticlassClassification</c>.</param>
    /// <param name="model">The whole trained model (as <c>pipeline.Fit</c> or <c>Model.Load</c> returns it), or the MLP's transformer itself.</param>
    /// <param name="data">Data in the form the whole model takes as input (what you would pass to <c>model.Transform</c>), with the label.</param>
    /// <param name="labelColumnName">The label column as the MLP sees it (after the steps before it; a key).</param>
    /// <param name="useFeatureWeightFilter">As ML.NET's overload (an MLP has no linear feature weights: no effect).</param>
    /// <param name="numberOfExamplesToUse">Evaluate on at most this many rows (null: all).</param>
    /// <param name="permutationCount">Permutations per feature (their mean and standard deviation are reported).</param>
    /// <returns>The metrics' changes keyed by feature name: the slot names of the MLP's feature column (e.g. the input column
    /// names after <c>Concatenate</c>), or "Features[i]" for a slot without one.</returns>
    /// <exception cref="ArgumentException"><paramref name="model"/> contains no multiclass MLP (the message lists its steps).</exception>
    public static ImmutableDictionary<string, MulticlassClassificationMetricsStatistics> PermutationFeatureImportanceOfMlp(
        this MulticlassClassificationCatalog catalog, ITransformer model, IDataView data, string labelColumnName = "Label",
        bool useFeatureWeightFilter = false, int? numberOfExamplesToUse = null, int permutationCount = 1)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var (mlp, input) = Prepare<MlpMulticlassPredictionTransformer>(model, data, "multiclass", "mlContext.MulticlassClassification");
        var importances = catalog.PermutationFeatureImportance(mlp, input, labelColumnName, useFeatureWeightFilter, numberOfExamplesToUse, permutationCount);
        return ByFeatureName(importances, input.Schema[mlp.FeatureColumnName]);
    }

    /// <summary>
    /// Permutation feature importance of the binary MLP inside <paramref name="model"/>, per feature: for each slot of the
    /// MLP's feature column, the change of every binary metric (ML.NET's non-calibrated evaluation, as its own overload)
    /// when that slot's values are shuffled across rows (negative = the metric got worse; e.g. sort by
    /// <c>AreaUnderRocCurve.Mean</c>).
    /// </summary>
    /// <param name="catalog"><c>mlContext.BinaryClassification</c>.</param>
    /// <param name="model">The whole trained model, or the MLP's transformer itself.</param>
    /// <param name="data">Data in the form the whole model takes as input, with the label.</param>
    /// <param name="labelColumnName">The label column as the MLP sees it (Boolean).</param>
    /// <param name="useFeatureWeightFilter">As ML.NET's overload (no effect for an MLP).</param>
    /// <param name="numberOfExamplesToUse">Evaluate on at most this many rows (null: all).</param>
    /// <param name="permutationCount">Permutations per feature.</param>
    /// <returns>The metrics' changes keyed by feature name (slot names, or "Features[i]").</returns>
    /// <exception cref="ArgumentException"><paramref name="model"/> contains no binary MLP.</exception>
    public static ImmutableDictionary<string, BinaryClassificationMetricsStatistics> PermutationFeatureImportanceOfMlp(
        this BinaryClassificationCatalog catalog, ITransformer model, IDataView data, string labelColumnName = "Label",
        bool useFeatureWeightFilter = false, int? numberOfExamplesToUse = null, int permutationCount = 1)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var (mlp, input) = Prepare<MlpBinaryPredictionTransformer>(model, data, "binary", "mlContext.BinaryClassification");
        var importances = catalog.PermutationFeatureImportance(mlp, input, labelColumnName, useFeatureWeightFilter, numberOfExamplesToUse, permutationCount);
        return ByFeatureName(importances, input.Schema[mlp.FeatureColumnName]);
    }

    /// <summary>
    /// Permutation feature importance of the regression MLP inside <paramref name="model"/>, per feature: for each slot of
    /// the MLP's feature column, the change of every regression metric when that slot's values are shuffled across rows
    /// (e.g. sort by <c>RSquared.Mean</c>, most negative first).
    /// </summary>
    /// <param name="catalog"><c>mlContext.Regression</c>.</param>
    /// <param name="model">The whole trained model, or the MLP's transformer itself.</param>
    /// <param name="data">Data in the form the whole model takes as input, with the label.</param>
    /// <param name="labelColumnName">The label column as the MLP sees it (Single).</param>
    /// <param name="useFeatureWeightFilter">As ML.NET's overload (no effect for an MLP).</param>
    /// <param name="numberOfExamplesToUse">Evaluate on at most this many rows (null: all).</param>
    /// <param name="permutationCount">Permutations per feature.</param>
    /// <returns>The metrics' changes keyed by feature name (slot names, or "Features[i]").</returns>
    /// <exception cref="ArgumentException"><paramref name="model"/> contains no regression MLP.</exception>
    public static ImmutableDictionary<string, RegressionMetricsStatistics> PermutationFeatureImportanceOfMlp(
        this RegressionCatalog catalog, ITransformer model, IDataView data, string labelColumnName = "Label",
        bool useFeatureWeightFilter = false, int? numberOfExamplesToUse = null, int permutationCount = 1)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var (mlp, input) = Prepare<MlpRegressionPredictionTransformer>(model, data, "regression", "mlContext.Regression");
        var importances = catalog.PermutationFeatureImportance(mlp, input, labelColumnName, useFeatureWeightFilter, numberOfExamplesToUse, permutationCount);
        return ByFeatureName(importances, input.Schema[mlp.FeatureColumnName]);
    }

    /// <summary>The last <typeparamref name="T"/> of the flattened chain, and <paramref name="data"/> passed through the steps before it.</summary>
    private static (T Mlp, IDataView Input) Prepare<T>(ITransformer model, IDataView data, string task, string catalog)
        where T : MlpPredictionTransformerBase
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var steps = new List<ITransformer>();
        Flatten(model, steps);
        int at = steps.FindLastIndex(s => s is T);
        if (at < 0)
        {
            string found = steps.Count == 0 ? "no steps" : "steps " + string.Join(" → ", steps.Select(s => s.GetType().Name));
            string other = steps.OfType<MlpPredictionTransformerBase>().FirstOrDefault() is { } mlp
                ? $" It holds a {mlp.GetType().Name}: call PermutationFeatureImportanceOfMlp on the catalog of that task."
                : $" For a model whose predictor is one of ML.NET's own, use {catalog}.PermutationFeatureImportance(model, transformedData).";
            throw new ArgumentException($"The model contains no {task} MLP prediction transformer ({typeof(T).Name}); it has {found}.{other}", nameof(model));
        }
        var input = data;
        for (int i = 0; i < at; i++) input = steps[i].Transform(input);
        return ((T)steps[at], input);
    }

    /// <summary>Appends the leaf transformers of <paramref name="model"/>, descending into nested chains.</summary>
    private static void Flatten(ITransformer model, List<ITransformer> steps)
    {
        // TransformerChain<T> is the only ML.NET transformer that enumerates transformers.
        if (model is IEnumerable<ITransformer> chain)
            foreach (var step in chain) Flatten(step, steps);
        else steps.Add(model);
    }

    /// <summary>
    /// Keys ML.NET's per-slot results by the slot names of the feature column; a slot without a name (or a column without
    /// slot names) is "Column[i]", and a repeated name gets " (Column[i])" appended so no result is lost.
    /// </summary>
    private static ImmutableDictionary<string, T> ByFeatureName<T>(ImmutableArray<T> importances, DataViewSchema.Column features)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        bool hasNames = features.Type is VectorDataViewType { Size: var size } && size == importances.Length
                        && features.Annotations.Schema.GetColumnOrNull("SlotNames") is { Type: VectorDataViewType { ItemType: TextDataViewType } };
        if (hasNames) features.Annotations.GetValue("SlotNames", ref names);
        var dense = hasNames ? names.DenseValues().Select(n => n.ToString()).ToArray() : [];
        var result = ImmutableDictionary.CreateBuilder<string, T>(StringComparer.Ordinal);
        for (int i = 0; i < importances.Length; i++)
        {
            string slot = $"{features.Name}[{i}]";
            string name = i < dense.Length && !string.IsNullOrEmpty(dense[i]) ? dense[i] : slot;
            if (result.ContainsKey(name)) name = $"{name} ({slot})";
            result.Add(name, importances[i]);
        }
        return result.ToImmutable();
    }
}
