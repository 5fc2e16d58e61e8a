using System.Text.Json;

namespace MLNetBackprop.Tests.Reference;

/// <summary>Reads the reference vectors in Data/reference/*.json (see the README there).</summary>
public static class ReferenceData
{
    /// <summary>The root element of Data/reference/{file}, relative to the test output directory.</summary>
    public static JsonElement Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Data", "reference", file);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    /// <summary>The case called <paramref name="name"/> in <paramref name="file"/>.</summary>
    public static JsonElement Case(string file, string name)
    {
        foreach (var c in Load(file).GetProperty("cases").EnumerateArray())
            if (c.GetProperty("name").GetString() == name) return c;
        throw new KeyNotFoundException($"No case '{name}' in {file}.");
    }

    /// <summary>The names of the cases in <paramref name="file"/>, in file order.</summary>
    public static IReadOnlyList<string> Cases(string file)
        => Load(file).GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();

    /// <summary>A tensor {"shape": [...], "values": nested arrays} as row-major values and its shape.</summary>
    public static (float[] Values, int[] Shape) Tensor(JsonElement tensor)
    {
        int[] shape = tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var values = new List<float>();
        Flatten(tensor.GetProperty("values"), values);
        return (values.ToArray(), shape);
    }

    private static void Flatten(JsonElement e, List<float> into)
    {
        if (e.ValueKind == JsonValueKind.Array)
            foreach (var x in e.EnumerateArray()) Flatten(x, into);
        else
            into.Add((float)e.GetDouble());
    }
}
