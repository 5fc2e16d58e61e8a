using System.Globalization;

namespace MLNetBackprop.Tests;

/// <summary>Loads the CSV datasets shipped in data/ (copied to Data/datasets/ in the test output).</summary>
public static class Datasets
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Data", "datasets", file);

    /// <summary>Features (all columns but the last) and the last column.</summary>
    public static (float[][] X, float[] Y) Load(string file)
    {
        var lines = File.ReadAllLines(PathOf(file)).Skip(1).Where(l => l.Length > 0).ToArray();
        var x = new float[lines.Length][];
        var y = new float[lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            var parts = lines[i].Split(',');
            x[i] = parts[..^1].Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            y[i] = float.Parse(parts[^1], CultureInfo.InvariantCulture);
        }
        return (x, y);
    }

    /// <summary>A stratified split: <paramref name="testFraction"/> of each class goes to the test indices.</summary>
    public static (int[] Train, int[] Test) StratifiedSplit(float[] labels, double testFraction, int seed)
    {
        var rng = new Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]))
        {
            var rows = group.OrderBy(_ => rng.Next()).ToArray();
            int take = (int)Math.Round(rows.Length * testFraction);
            test.AddRange(rows.Take(take));
            train.AddRange(rows.Skip(take));
        }
        return (train.ToArray(), test.ToArray());
    }

    /// <summary>A random split for regression.</summary>
    public static (int[] Train, int[] Test) RandomSplit(int rows, double testFraction, int seed)
    {
        var rng = new Random(seed);
        var order = Enumerable.Range(0, rows).OrderBy(_ => rng.Next()).ToArray();
        int take = (int)Math.Round(rows * testFraction);
        return (order.Skip(take).ToArray(), order.Take(take).ToArray());
    }
}
