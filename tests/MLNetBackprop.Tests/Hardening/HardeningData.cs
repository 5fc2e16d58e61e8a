using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>Small in-memory data sets and quick models for the hardening tests.</summary>
public static class HardeningData
{
    public const int D = 4;

    public sealed class BoolRow
    {
        [VectorType(D)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    public sealed class FloatRow
    {
        [VectorType(D)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    public sealed class WeightedRow
    {
        [VectorType(D)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
        public float Weight { get; set; }
    }

    /// <summary>Variable-size feature vector (no [VectorType]): what a PredictionEngine class with a plain float[] gives.</summary>
    public sealed class VarRow
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    /// <summary>Iris features (150 × 4) and classes 0..2.</summary>
    public static (float[][] X, float[] Y) Iris() => Datasets.Load("iris.csv");

    /// <summary>Key label with 3 classes: raw key = class + 1 (a raw-key view, so 0 and out-of-range keys can be served too).</summary>
    public static IDataView KeyData(MLContext ml, float[][] x, float[] y) => KeyData(x, y.Select(v => (uint)v + 1).ToArray());

    /// <summary>Key label with 3 classes from raw keys as given (0 = missing).</summary>
    public static IDataView KeyData(float[][] x, uint[] rawKeys) =>
        new RawVectorDataView(D, x.Select(f => new VBuffer<float>(D, f)).ToArray(), rawKeys.Select(k => (float)k).ToArray(), keyCount: 3);

    public static IDataView BoolData(MLContext ml, float[][] x, float[] y) =>
        ml.Data.LoadFromEnumerable(x.Select((f, i) => new BoolRow { Features = f, Label = y[i] >= 1 }).ToList());

    public static IDataView FloatData(MLContext ml, float[][] x, float[] y) =>
        ml.Data.LoadFromEnumerable(x.Select((f, i) => new FloatRow { Features = f, Label = y[i] }).ToList());

    public static float[][] Copy(float[][] x) => x.Select(r => (float[])r.Clone()).ToArray();

    public static MlpMulticlassTrainer.Options Multiclass(int epochs = 5) => new() { HiddenLayers = [8], Epochs = epochs, Seed = 1, NumberOfThreads = 1 };

    public static MlpBinaryTrainer.Options Binary(int epochs = 5) => new() { HiddenLayers = [8], Epochs = epochs, Seed = 1, NumberOfThreads = 1 };

    public static MlpRegressionTrainer.Options Regression(int epochs = 5) => new() { HiddenLayers = [8], Epochs = epochs, Seed = 1, NumberOfThreads = 1 };

    /// <summary>The innermost exception (ML.NET wraps loader and getter exceptions).</summary>
    public static Exception Root(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}

/// <summary>
/// A minimal IDataView that serves whatever VBuffers it is given under a declared known-size vector type — a data view
/// that breaks its own schema (wrong lengths, sparse vectors of the wrong length), which ML.NET's own loaders refuse to build.
/// </summary>
public sealed class RawVectorDataView : IDataView
{
    private readonly VBuffer<float>[] _features;
    private readonly float[] _labels;

    private readonly bool _key;

    /// <param name="keyCount">0: the label is Single; otherwise a UInt32 key with this many values (labels hold the raw keys).</param>
    public RawVectorDataView(int declaredSize, VBuffer<float>[] features, float[] labels, int keyCount = 0)
    {
        _features = features;
        _labels = labels;
        _key = keyCount > 0;
        var b = new DataViewSchema.Builder();
        b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, declaredSize));
        b.AddColumn("Label", _key ? new KeyDataViewType(typeof(uint), keyCount) : NumberDataViewType.Single);
        Schema = b.ToSchema();
    }

    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => _labels.Length;
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private sealed class Cursor(RawVectorDataView parent) : DataViewRowCursor
    {
        private long _pos = -1;
        public override DataViewSchema Schema => parent.Schema;
        public override long Position => _pos;
        public override long Batch => 0;
        public override bool MoveNext() => ++_pos < parent._labels.Length;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_pos, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate d = column.Index == 0
                ? (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => parent._features[_pos].CopyTo(ref v))
                : parent._key
                    ? (ValueGetter<uint>)((ref uint v) => v = (uint)parent._labels[_pos])
                    : (ValueGetter<float>)((ref float v) => v = parent._labels[_pos]);
            return (ValueGetter<TValue>)d;
        }
    }
}
