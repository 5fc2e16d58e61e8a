using System.Collections.Concurrent;
using System.Text.Json;

namespace MLNetBackprop.Tests.Reference;

/// <summary>
/// Reads the TorchSharp/libtorch reference vectors in Data/reference/*.json (copied to the test
/// output directory). A tensor is {"shape": [...], "values": nested arrays}.
/// </summary>
public static class ReferenceData
{
    private static readonly ConcurrentDictionary<string, JsonDocument> Cache = new();

    /// <summary>The root of a reference file, e.g. Load("layers.json") (".json" may be omitted).</summary>
    public static JsonElement Load(string file)
    {
        if (!file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) file += ".json";
        var doc = Cache.GetOrAdd(file, f =>
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Data", "reference", f);
            return JsonDocument.Parse(File.ReadAllText(path));
        });
        return doc.RootElement;
    }

    /// <summary>All cases of a file.</summary>
    public static IEnumerable<JsonElement> Cases(string file) => Load(file).GetProperty("cases").EnumerateArray();

    /// <summary>The names of all cases of a file (for xunit MemberData).</summary>
    /// <summary>The case names of a file, in file order.</summary>
    public static IReadOnlyList<string> CaseNameList(string file) => Cases(file).Select(c => c.GetProperty("name").GetString()!).ToList();

    public static IEnumerable<object[]> CaseNames(string file) => Cases(file).Select(c => new object[] { c.GetProperty("name").GetString()! });

    /// <summary>The case called <paramref name="name"/>.</summary>
    public static JsonElement Case(string file, string name)
    {
        foreach (var c in Cases(file))
            if (c.GetProperty("name").GetString() == name) return c;
        throw new KeyNotFoundException($"No case '{name}' in {file}.");
    }

    /// <summary>A tensor's values (row-major, flattened) and shape.</summary>
    public static (float[] Values, int[] Shape) Tensor(JsonElement tensor)
    {
        var (values, shape) = TensorDouble(tensor);
        return (values.Select(v => (float)v).ToArray(), shape);
    }

    /// <summary>A tensor's values in float64 (for the float64 'expected' numbers) and shape.</summary>
    public static (double[] Values, int[] Shape) TensorDouble(JsonElement tensor)
    {
        int[] shape = tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var values = new List<double>();
        Flatten(tensor.GetProperty("values"), values);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (values.Count != count) throw new InvalidDataException($"Tensor of shape [{string.Join(",", shape)}] has {values.Count} values.");
        return (values.ToArray(), shape);
    }

    private static void Flatten(JsonElement e, List<double> into)
    {
        if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray()) Flatten(item, into);
        else into.Add(e.GetDouble());
    }
}
