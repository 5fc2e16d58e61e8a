using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Bench;

/// <summary>
/// Cold start (issue 13): what a scoring service or a short training job pays before the JIT has optimised code.
/// Each measurement is a fresh process (`cold-child`), so nothing is warm: it loads a saved 784-256-128-10 model, times
/// each of its first 1,000 <c>PredictionEngine.Predict</c> calls and then 20,000 warm ones, and trains a small tabular
/// net (20 features, [64, 64], 8 epochs of 4,000 rows) reporting each epoch's time. The parent repeats that under
/// runtime settings a host app may choose (tiered compilation, PGO, quick JIT for loops) and prints the table.
/// </summary>
public static class ColdStartBench
{
    private sealed class Row
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    private sealed class TabularRow
    {
        [VectorType(20)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private static readonly (string Name, string Settings)[] Variants =
    [
        ("default (tiered, PGO on)", ""),
        ("TieredPGO=0", "DOTNET_TieredPGO=0"),
        ("TC_QuickJitForLoops=0", "DOTNET_TC_QuickJitForLoops=0"),
        ("TieredCompilation=0", "DOTNET_TieredCompilation=0"),
    ];

    /// <summary>The parent: builds the model once, runs <paramref name="runs"/> fresh children per variant, prints medians.</summary>
    public static void Run(int runs, TextWriter md)
    {
        string model = Path.Combine(Path.GetTempPath(), "mlnetbackprop-cold-784.zip");
        var ml = new MLContext(seed: 1);
        var (x, y) = ScoringBench.Teacher(2000, 784, 10);
        var rows = Enumerable.Range(0, 2000).Select(r => new Row { Features = x.AsSpan(r * 784, 784).ToArray(), Label = y[r] }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var trained = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options(MlpPreset.Classic) { HiddenLayers = [256, 128], Epochs = 1 }))
            .Fit(data);
        ml.Model.Save(trained, data.Schema, model);

        md.WriteLine($"| host setting | first 1,000 Predict µs/call (median of {runs} processes) | of which the first call µs | calls 2–1,000 µs/call | warm µs/call | first 1,000 / warm | calls 2–1,000 / warm | first epoch s | later epochs s (median) | first / later |");
        md.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        string self = typeof(ColdStartBench).Assembly.Location;
        foreach (var (name, settings) in Variants)
        {
            var results = new List<double[]>();
            for (int r = 0; r < runs; r++)
            {
                var start = new ProcessStartInfo("dotnet", $"\"{self}\" cold-child \"{model}\"") { RedirectStandardOutput = true, UseShellExecute = false };
                foreach (string kv in settings.Split(';', StringSplitOptions.RemoveEmptyEntries))
                    start.Environment[kv.Split('=')[0]] = kv.Split('=')[1];
                using var child = Process.Start(start)!;
                string output = child.StandardOutput.ReadToEnd();
                child.WaitForExit();
                string line = output.Split('\n').Last(l => l.StartsWith("COLD ", StringComparison.Ordinal));
                results.Add(line[5..].Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            }
            double Median(int i) => results.Select(v => v[i]).Order().ElementAt(results.Count / 2);
            string row = $"| {name} | {Median(0):F1} | {Median(4):F0} | {Median(5):F1} | {Median(1):F1} | {Median(0) / Median(1):F1}× | {Median(5) / Median(1):F1}× | {Median(2):F3} | {Median(3):F3} | {Median(2) / Median(3):F2}× |";
            Console.WriteLine(row);
            md.WriteLine(row);
        }
    }

    /// <summary>The child: one cold measurement, printed as "COLD first warm firstEpoch laterEpoch".</summary>
    public static void Child(string modelPath)
    {
        long c0 = Stopwatch.GetTimestamp();
        var ml = new MLContext(seed: 1);
        ml.RegisterBackprop();
        var model = ml.Model.Load(modelPath, out _);
        long c1 = Stopwatch.GetTimestamp();
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        long c2 = Stopwatch.GetTimestamp();
        var rng = new Random(3);
        var input = new Row { Features = Enumerable.Range(0, 784).Select(_ => (float)rng.NextDouble()).ToArray() };
        var output = new Prediction();
        long first = 0, firstCall = 0;
        for (int i = 0; i < 1000; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            engine.Predict(input, ref output);
            long t = Stopwatch.GetTimestamp() - t0;
            first += t;
            if (i == 0) firstCall = t;
        }
        // Where the first call's time goes: a second engine's first call pays no JIT, only the per-engine set-up.
        long c3 = Stopwatch.GetTimestamp();
        var second = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        long c4 = Stopwatch.GetTimestamp();
        second.Predict(input, ref output);
        long c5 = Stopwatch.GetTimestamp();
        double ms = 1e3 / Stopwatch.Frequency;
        Console.Error.WriteLine(FormattableString.Invariant($"load {(c1 - c0) * ms:F1} ms, first engine {(c2 - c1) * ms:F1} ms, second engine {(c4 - c3) * ms:F2} ms + its first call {(c5 - c4) * ms:F3} ms"));
        for (int i = 0; i < 10_000; i++) engine.Predict(input, ref output);
        long warm0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < 10_000; i++) engine.Predict(input, ref output);
        long warm = Stopwatch.GetTimestamp() - warm0;

        // A small tabular net: its first epoch carries the JIT of the training path.
        var rows = Enumerable.Range(0, 4000).Select(_ =>
        {
            var f = Enumerable.Range(0, 20).Select(_ => (float)rng.NextDouble()).ToArray();
            return new TabularRow { Features = f, Label = f[0] + f[1] * f[2] > 0.75f };
        }).ToArray();
        var times = new List<double>();
        var options = new MlpBinaryTrainer.Options
        {
            HiddenLayers = [64, 64], Epochs = 8, EnsembleSize = 1, ValidationFraction = 0,
            Progress = new Sync(r => times.Add(r.Elapsed.TotalSeconds)),
        };
        ml.BinaryClassification.Trainers.Mlp(options).Fit(ml.Data.LoadFromEnumerable(rows));
        double later = times.Skip(1).Order().ElementAt((times.Count - 1) / 2);
        double us = 1e6 / Stopwatch.Frequency;
        Console.WriteLine(FormattableString.Invariant($"COLD {first * us / 1000} {warm * us / 10_000} {times[0]} {later} {firstCall * us} {(first - firstCall) * us / 999}"));
    }

    private sealed class Sync(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
