using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MLNetBackprop.Bench.Arena;

/// <summary>The featurised parts of one split, cached in memory: columns <c>Label</c> and <c>Features</c> only.</summary>
public sealed record FeaturizedSplit(IDataView Train, IDataView Test, int TrainRows, int TestRows, int FeatureCount, double Seconds);

/// <summary>
/// Features exactly as an ML.NET user builds them from such a file: TextLoader with numeric columns as Single
/// (an empty field reads as NaN) and categorical columns as text; then ONE <c>Categorical.OneHotEncoding</c>
/// over all categorical columns together, <c>ReplaceMissingValues</c> (mean) over the numeric columns, and
/// <c>Concatenate("Features", ...)</c> in the file's column order. The label is Boolean (binary), a key from
/// <c>MapValueToKey</c> (multiclass) or Single (regression). The pipeline is fitted on the training part only
/// and applied to both parts, which are then cached and read through once, so no trainer's fit time
/// includes featurisation.
/// </summary>
public static class Featurizer
{
    public const string Label = "Label", Features = "Features";

    public static FeaturizedSplit Run(MLContext ml, TabularSet set, SeededSplit split)
    {
        var sw = Stopwatch.StartNew();
        var schema = set.Schema;
        var loader = ml.Data.CreateTextLoader(LoaderColumns(schema), separatorChar: ',', hasHeader: true, allowQuoting: false, trimWhitespace: false);
        IDataView trainRaw = loader.Load(new InMemoryTextSource(set.Header, set.Lines, split.Train));
        IDataView testRaw = loader.Load(new InMemoryTextSource(set.Header, set.Lines, split.Test));

        var model = Pipeline(ml, schema).Fit(trainRaw);
        var (train, trainRows) = Materialise(ml, model.Transform(trainRaw));
        var (test, testRows) = Materialise(ml, model.Transform(testRaw));
        if (trainRows != split.Train.Length || testRows != split.Test.Length)
            throw new InvalidDataException($"{set.Name}: TextLoader read {trainRows}/{testRows} rows, the split has {split.Train.Length}/{split.Test.Length}");
        int featureCount = train.Schema[Features].Type is VectorDataViewType { Size: > 0 } v ? v.Size
            : throw new InvalidDataException($"{set.Name}: Features is not a known-size vector");
        return new FeaturizedSplit(train, test, trainRows, testRows, featureCount, sw.Elapsed.TotalSeconds);
    }

    private static TextLoader.Column[] LoaderColumns(TabularSchema schema) => schema.Columns.Select(c => c.Kind switch
    {
        ColumnKind.Numeric => new TextLoader.Column(c.Name, DataKind.Single, c.Index),
        ColumnKind.Categorical => new TextLoader.Column(c.Name, DataKind.String, c.Index),
        _ => new TextLoader.Column(Label, schema.Task == ArenaTask.Binary ? DataKind.Boolean : DataKind.Single, c.Index),
    }).ToArray();

    private static IEstimator<ITransformer> Pipeline(MLContext ml, TabularSchema schema)
    {
        var cat = schema.Categorical.Select(c => c.Name).ToArray();
        var num = schema.Numeric.Select(c => c.Name).ToArray();
        IEstimator<ITransformer> pipeline = new EstimatorChain<ITransformer>();
        if (cat.Length > 0)
            pipeline = pipeline.Append(ml.Transforms.Categorical.OneHotEncoding(cat.Select(c => new InputOutputColumnPair(c)).ToArray()));
        if (num.Length > 0)
            pipeline = pipeline.Append(ml.Transforms.ReplaceMissingValues(num.Select(c => new InputOutputColumnPair(c)).ToArray(),
                MissingValueReplacingEstimator.ReplacementMode.Mean));
        pipeline = pipeline.Append(ml.Transforms.Concatenate(Features, schema.Columns.Where(c => c.Kind != ColumnKind.Label).Select(c => c.Name).ToArray()));
        if (schema.Task == ArenaTask.Multiclass)
            pipeline = pipeline.Append(ml.Transforms.Conversion.MapValueToKey(Label, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue));
        return pipeline.Append(ml.Transforms.SelectColumns(Label, Features));
    }

    /// <summary><c>Data.Cache</c>, then one pass over every row with all columns active, which fills the cache.</summary>
    private static (IDataView View, int Rows) Materialise(MLContext ml, IDataView view)
    {
        var cached = ml.Data.Cache(view);
        int rows = 0;
        using (var cursor = cached.GetRowCursor(cached.Schema))
            while (cursor.MoveNext()) rows++;
        return (cached, rows);
    }
}
