using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.Transforms;

internal static class TestData
{
    public static string Reference(string file) => Path.Combine(AppContext.BaseDirectory, "Data", "reference", file);

    /// <summary>Iris as four Single columns plus a label.</summary>
    public static IDataView LoadIris(MLContext ml) =>
        ml.Data.LoadFromTextFile(Datasets.PathOf("iris.csv"), new[]
        {
            new TextLoader.Column("SepalLength", DataKind.Single, 0),
            new TextLoader.Column("SepalWidth", DataKind.Single, 1),
            new TextLoader.Column("PetalLength", DataKind.Single, 2),
            new TextLoader.Column("PetalWidth", DataKind.Single, 3),
            new TextLoader.Column("Label", DataKind.Single, 4),
        }, separatorChar: ',', hasHeader: true);

    /// <summary>breast_cancer.csv as a 30-slot Features vector plus Label.</summary>
    public static IDataView LoadBreastCancer(MLContext ml) =>
        ml.Data.LoadFromTextFile(Datasets.PathOf("breast_cancer.csv"), new[]
        {
            new TextLoader.Column("Features", DataKind.Single, 0, 29),
            new TextLoader.Column("Label", DataKind.Single, 30),
        }, separatorChar: ',', hasHeader: true);

    public static float[][] ReadVectors(IDataView view, string column)
    {
        var col = view.Schema[column];
        var rows = new List<float[]>();
        using var cursor = view.GetRowCursor([col]);
        if (col.Type is VectorDataViewType)
        {
            var g = cursor.GetGetter<VBuffer<float>>(col);
            VBuffer<float> buf = default;
            while (cursor.MoveNext())
            {
                g(ref buf);
                rows.Add(buf.DenseValues().ToArray());
            }
        }
        else
        {
            var g = cursor.GetGetter<float>(col);
            float x = 0;
            while (cursor.MoveNext())
            {
                g(ref x);
                rows.Add([x]);
            }
        }
        return rows.ToArray();
    }

    public static JsonElement BatchNormCase()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Reference("layers.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("name").GetString()!.StartsWith("BatchNorm1d", StringComparison.Ordinal))
                return c.Clone();
        }
        throw new InvalidOperationException("BatchNorm case not found in layers.json");
    }

    public static double[][] Matrix(JsonElement tensor) =>
        tensor.GetProperty("values").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    public static double[] Vector(JsonElement tensor) =>
        tensor.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public sealed class VecRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    public static IDataView FromMatrix(MLContext ml, double[][] m) =>
        ml.Data.LoadFromEnumerable(m.Select(r => new VecRow { Features = r.Select(v => (float)v).ToArray() }));
}
