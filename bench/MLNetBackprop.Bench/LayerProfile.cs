using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Bench;

/// <summary>
/// Per-layer breakdown of a training step: the trainer's step (forward each layer, loss, backward each layer,
/// optimizer step) written out with a timestamp around every piece, over whole epochs of shuffled batches,
/// so that the time of each layer's forward and backward, the loss and the step can be compared with the
/// epoch time and with the flops each layer's products do (% of a measured peak).
/// </summary>
public static class LayerProfile
{
    /// <summary>Times <paramref name="epochs"/> epochs (after one untimed) of <paramref name="network"/> on (x, y) at <paramref name="threads"/>.</summary>
    /// <returns>Markdown rows: one per layer and phase, then loss, step, gather, total; µs per batch.</returns>
    public static List<string> Run(Network network, float[] x, float[] y, int rows, int batch, int threads, int epochs, double peakGflops)
    {
        int savedThreads = Kernels.MaxThreads;
        Kernels.MaxThreads = threads;
        try
        {
            return RunAt(network, x, y, rows, batch, threads, epochs, peakGflops);
        }
        finally { Kernels.MaxThreads = savedThreads; }
    }

    private static List<string> RunAt(Network network, float[] x, float[] y, int rows, int batch, int threads, int epochs, double peakGflops)
    {
        if (rows < batch) throw new ArgumentException($"{rows} rows make no whole batch of {batch}.", nameof(rows));
        var layers = network.Layers;
        int n = layers.Count, d = network.InputSize;
        var state = Optimizer.Adam(1e-3).CreateState(network.Parameters);
        var fwd = new long[n];
        var bwd = new long[n];
        long loss = 0, norms = 0, step = 0, gather = 0, total = 0;
        int batches = 0;
        var data = new Dataset(new Matrix(rows, d, x), y);
        Matrix? lossGradient = null;
        for (int e = 0; e <= epochs; e++)
        {
            bool timed = e > 0;
            using var it = data.Batches(new RowOrder(1, e, true, null), batch).GetEnumerator();
            while (true)
            {
                // The trainer's own gather (Dataset.Batches): shuffled rows copied into the batch buffer.
                long t0 = Stopwatch.GetTimestamp(), begin = t0;
                if (!it.MoveNext()) break;
                var mb = it.Current;
                if (mb.Rows < batch) break; // same work per timed batch
                var xb = mb.Features;
                var yb = mb.Targets.AsSpan(0, mb.Rows);
                long t = Stopwatch.GetTimestamp();
                if (timed) gather += t - t0;
                var h = xb;
                for (int l = 0; l < n; l++)
                {
                    t0 = t;
                    h = layers[l].Forward(h, training: true);
                    t = Stopwatch.GetTimestamp();
                    if (timed) fwd[l] += t - t0;
                }
                t0 = t;
                var g = Matrix.Ensure(ref lossGradient, h.Rows, h.Columns);
                network.Loss.Compute(h, yb, default, g);
                t = Stopwatch.GetTimestamp();
                if (timed) loss += t - t0;
                Matrix? gg = g;
                for (int l = n - 1; l >= 0 && gg is not null; l--)
                {
                    t0 = t;
                    gg = layers[l].Backward(gg, needInputGradient: l > 0);
                    t = Stopwatch.GetTimestamp();
                    if (timed) bwd[l] += t - t0;
                }
                t0 = t;
                foreach (var dense in network.DenseLayers) Kernels.Norm(dense.Weight.Gradient);
                t = Stopwatch.GetTimestamp();
                if (timed) norms += t - t0;
                t0 = t;
                state.Step(1e-3);
                t = Stopwatch.GetTimestamp();
                if (timed) { step += t - t0; total += t - begin; batches++; }
            }
        }
        double us = 1e6 / Stopwatch.Frequency / batches;
        var lines = new List<string>();
        for (int l = 0; l < n; l++)
        {
            var layer = layers[l];
            string what = layer is Dense dense ? $"{layer.GetType().Name} {dense.InputSize}→{dense.OutputSize}" : $"{layer.GetType().Name} {layer.OutputSize}";
            string fPeak = "", bPeak = "";
            if (layer is Dense dl)
            {
                double flops = 2.0 * batch * dl.InputSize * dl.OutputSize;
                fPeak = $"{flops / (fwd[l] * us * 1e-6) / 1e9 / peakGflops:P0}";
                double bf = flops * (l > 0 ? 2 : 1);
                bPeak = $"{bf / (bwd[l] * us * 1e-6) / 1e9 / peakGflops:P0}";
            }
            lines.Add($"| {threads} | {l}: {what} | {fwd[l] * us:F1} | {fPeak} | {bwd[l] * us:F1} | {bPeak} |");
        }
        lines.Add($"| {threads} | loss | {loss * us:F1} | | | |");
        lines.Add($"| {threads} | gradient norms (reported per epoch) | {norms * us:F1} | | | |");
        lines.Add($"| {threads} | optimizer step | {step * us:F1} | | | |");
        lines.Add($"| {threads} | gather rows | {gather * us:F1} | | | |");
        lines.Add($"| {threads} | **batch total** | **{total * us:F1}** | | | |");
        return lines;
    }

    /// <summary>The table header.</summary>
    public static string[] Header() =>
    [
        $"| threads | layer | forward µs/batch | forward % of peak | backward µs/batch | backward % of peak |",
        "|---|---|---|---|---|---|",
    ];

    /// <summary>
    /// One core's peak for the kernels' products, measured: the best of several runs of a large
    /// cache-friendly product (256×256×256) at one thread, in GFLOP/s.
    /// </summary>
    public static double MeasurePeak()
    {
        const int m = 256;
        var a = new float[m * m]; var b = new float[m * m]; var c = new float[m * m];
        for (int i = 0; i < a.Length; i++) { a[i] = 1e-3f * (i % 97); b[i] = 1e-3f * (i % 89); }
        int saved = Kernels.MaxThreads;
        Kernels.MaxThreads = 1;
        double best = double.MaxValue;
        for (int r = 0; r < 200; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Kernels.MatMul(a, b, c, m, m, m);
            best = Math.Min(best, (double)(Stopwatch.GetTimestamp() - t0) / Stopwatch.Frequency);
        }
        Kernels.MaxThreads = saved;
        return 2.0 * m * m * m / best / 1e9;
    }

    /// <summary>The CPU's model name and the vector flags that choose our kernels (from /proc/cpuinfo where there is one).</summary>
    public static string Machine()
    {
        string model = "unknown CPU";
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name")) { model = line[(line.IndexOf(':') + 1)..].Trim(); break; }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{model}, {Environment.ProcessorCount} logical CPUs, AVX2 {Avx2.IsSupported}, FMA {Fma.IsSupported}, AVX-512F {Avx512F.IsSupported}";
    }

    /// <summary>
    /// What the machine gives two threads right now: the time of two threads each running the same register-only
    /// FMA loop at once over one thread running it alone (1.00: two full cores; 2.00: one core's worth, e.g. the
    /// two vCPUs share a physical core or the host is busy). Printed next to every two-thread table.
    /// </summary>
    public static double TwoCoreCapacity()
    {
        const long iterations = 40_000_000;
        FmaLoop(1000);
        double best = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            FmaLoop(iterations);
            double one = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var other = new Thread(() => FmaLoop(iterations));
            other.Start();
            FmaLoop(iterations);
            other.Join();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / one);
        }
        return best;
    }

    /// <summary>
    /// The round trip of a cache line between two threads (one writes, the other answers), in ns: ~50–100 ns when
    /// the two vCPUs share a last-level cache, several hundred when they sit on different dies. A thread pool's
    /// hand-offs and every buffer one core writes and the other reads pay it.
    /// </summary>
    public static double CrossCoreRoundTripNanoseconds()
    {
        const int trips = 200_000;
        var flag = new long[32];
        var other = new Thread(() =>
        {
            for (int i = 0; i < trips; i++)
            {
                while (Volatile.Read(ref flag[0]) != 2 * i + 1) { }
                Volatile.Write(ref flag[0], 2 * i + 2);
            }
        });
        other.Start();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < trips; i++)
        {
            Volatile.Write(ref flag[0], 2 * i + 1);
            while (Volatile.Read(ref flag[0]) != 2 * i + 2) { }
        }
        double ns = sw.Elapsed.TotalSeconds * 1e9 / trips;
        other.Join();
        return ns;
    }

    /// <summary>One line for a table's header: two-core capacity and the cross-core round trip, measured now.</summary>
    public static string TwoCoreState() =>
        $"two-core capacity {TwoCoreCapacity():F2} (1.00 = two full cores), cross-core round trip {CrossCoreRoundTripNanoseconds():F0} ns";

    private static float FmaLoop(long iterations)
    {
        var a0 = Vector256.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        var m = Vector256.Create(0.9999999f); var c = Vector256.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
            a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7).ToScalar();
    }
}
