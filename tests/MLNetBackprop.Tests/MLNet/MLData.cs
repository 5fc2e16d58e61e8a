using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>Builds IDataViews from in-memory rows with a known-size feature vector.</summary>
public static class MLData
{
    public sealed class FloatRow
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    public sealed class BoolRow
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private static SchemaDefinition Schema<T>(int size)
    {
        var def = SchemaDefinition.Create(typeof(T));
        def["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return def;
    }

    /// <summary>Float label (regression, or class ids for MapValueToKey).</summary>
    public static IDataView Float(MLContext ml, float[][] x, float[] y, IEnumerable<int> rows) =>
        ml.Data.LoadFromEnumerable(rows.Select(i => new FloatRow { Features = x[i], Label = y[i] }).ToList(), Schema<FloatRow>(x[0].Length));

    /// <summary>Boolean label = (y == 1).</summary>
    public static IDataView Bool(MLContext ml, float[][] x, float[] y, IEnumerable<int> rows) =>
        ml.Data.LoadFromEnumerable(rows.Select(i => new BoolRow { Features = x[i], Label = y[i] == 1 }).ToList(), Schema<BoolRow>(x[0].Length));

    public static float[][] Column(MLContext ml, IDataView data, string name) =>
        data.GetColumn<float[]>(data.Schema[name]).ToArray();

    public static float[] Scalar(MLContext ml, IDataView data, string name) =>
        data.GetColumn<float>(data.Schema[name]).ToArray();
}
