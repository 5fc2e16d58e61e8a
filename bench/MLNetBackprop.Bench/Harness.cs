using System.Diagnostics;

namespace MLNetBackprop.Bench;

/// <summary>Median / min / max of repeated timings (seconds per operation).</summary>
public sealed record Stats(double Median, double Min, double Max, int Samples)
{
    public static Stats Of(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        int n = s.Length;
        double med = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
        return new Stats(med, s[0], s[^1], n);
    }

    /// <summary>(max − min) / median: a crude noise indicator.</summary>
    public double Spread => (Max - Min) / Median;
}

/// <summary>
/// A plain, robust timing harness for a noisy shared machine: warm-up, calibrated inner loops,
/// many repetitions, medians, and A/B interleaving (the candidates alternate within every
/// repetition, and the order flips every other repetition, so drifts in machine load hit both).
/// </summary>
public static class Harness
{
    /// <summary>How many calls of <paramref name="f"/> take about <paramref name="targetSeconds"/> (after warming up).</summary>
    public static int Calibrate(Action f, double targetSeconds, int warmupCalls = 3)
    {
        for (int i = 0; i < warmupCalls; i++) f();
        int inner = 1;
        while (true)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < inner; i++) f();
            double t = sw.Elapsed.TotalSeconds;
            if (t >= targetSeconds / 4 || inner >= 1 << 20)
                return Math.Max(1, (int)Math.Ceiling(inner * targetSeconds / Math.Max(t, 1e-9)));
            inner *= 4;
        }
    }

    /// <summary>
    /// Times each candidate <paramref name="reps"/> times, interleaved; each sample is the mean time of
    /// one call over a calibrated inner loop of about <paramref name="sampleSeconds"/>.
    /// </summary>
    public static Stats[] Interleaved(Action[] candidates, int reps, double sampleSeconds = 0.02)
    {
        var inner = candidates.Select(f => Calibrate(f, sampleSeconds)).ToArray();
        var samples = candidates.Select(_ => new List<double>(reps)).ToArray();
        for (int r = 0; r < reps; r++)
        {
            for (int q = 0; q < candidates.Length; q++)
            {
                int c = r % 2 == 0 ? q : candidates.Length - 1 - q;
                var f = candidates[c];
                int n = inner[c];
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < n; i++) f();
                samples[c].Add(sw.Elapsed.TotalSeconds / n);
            }
        }
        return samples.Select(Stats.Of).ToArray();
    }

    /// <summary>Times single long runs (e.g. epochs): <paramref name="warmup"/> untimed, then <paramref name="reps"/> timed.</summary>
    public static Stats Repeat(Action f, int warmup, int reps)
    {
        for (int i = 0; i < warmup; i++) f();
        var xs = new List<double>(reps);
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            f();
            xs.Add(sw.Elapsed.TotalSeconds);
        }
        return Stats.Of(xs);
    }
}
