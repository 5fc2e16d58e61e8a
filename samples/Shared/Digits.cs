using System.Globalization;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Samples;

/// <summary>Loads data/digits.csv (copied next to the executable), splits it and standardises the features.</summary>
internal static class Digits
{
    public const int Features = 64;
    public const int Classes = 10;

    /// <summary>A stratified train/test split (test = <paramref name="testFraction"/> of each class), features standardised with the training rows' mean and standard deviation.</summary>
    public static (Dataset Train, Dataset Test) Load(double testFraction = 0.2, int seed = 42)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv");
        var lines = File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).ToArray();
        int n = lines.Length;
        var x = new float[n * Features];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            var parts = lines[i].Split(',');
            for (int j = 0; j < Features; j++) x[i * Features + j] = float.Parse(parts[j], CultureInfo.InvariantCulture);
            y[i] = float.Parse(parts[^1], CultureInfo.InvariantCulture);
        }

        var rng = new Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        foreach (var group in Enumerable.Range(0, n).GroupBy(i => y[i]).OrderBy(g => g.Key))
        {
            var rows = group.OrderBy(_ => rng.Next()).ToArray();
            int take = (int)Math.Round(rows.Length * testFraction);
            test.AddRange(rows.Take(take));
            train.AddRange(rows.Skip(take));
        }

        // Standardise every feature with the statistics of the training rows only.
        for (int j = 0; j < Features; j++)
        {
            double mean = train.Average(r => x[r * Features + j]);
            double std = Math.Sqrt(train.Average(r => Math.Pow(x[r * Features + j] - mean, 2)));
            if (std < 1e-6) std = 1;  // constant pixels (always 0 in the corners) stay 0
            for (int i = 0; i < n; i++) x[i * Features + j] = (float)((x[i * Features + j] - mean) / std);
        }

        var all = new Dataset(new Matrix(n, Features, x), y);
        return (all.Subset(train.ToArray()), all.Subset(test.ToArray()));
    }
}
