using MLNetBackprop.Engine;

namespace MLNetBackprop.Bench;

/// <summary>
/// Where our epoch's time goes: per batch, the GEMMs alone (the 8 products of one step), the whole
/// forward + loss + backward (<see cref="Network.ComputeGradients"/>), and the optimizer step, each
/// scaled to one 60,000-row epoch. Interleaved medians like the GEMM benchmark.
/// </summary>
public static class ProfileBench
{
    /// <summary>The trainer's loop written out with a stopwatch per phase; returns the last epoch's phase times.</summary>
    public static (double Gather, double Gradients, double Step) ManualEpochs(float[] xData, float[] yData, int batch, int epochs)
    {
        var spec = new NetworkSpec { InputSize = EpochBench.Inputs, HiddenLayers = EpochBench.Hidden, OutputSize = EpochBench.Classes };
        var network = new Network(spec, seed: 1);
        var state = Optimizer.Adam(1e-3).CreateState(network.Parameters);
        int n = EpochBench.Rows, d = EpochBench.Inputs;
        var order = Enumerable.Range(0, n).ToArray();
        var x = new Matrix(batch, d);
        var y = new float[batch];
        var rng = new Random(1);
        double tg = 0, tf = 0, to = 0;
        for (int e = 0; e < epochs; e++)
        {
            rng.Shuffle(order);
            tg = tf = to = 0;
            for (int start = 0; start < n; start += batch)
            {
                int rows = Math.Min(batch, n - start);
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                x.SetRows(rows);
                for (int i = 0; i < rows; i++)
                {
                    xData.AsSpan(order[start + i] * d, d).CopyTo(x.Row(i));
                    y[i] = yData[order[start + i]];
                }
                long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                network.ComputeGradients(x, y.AsSpan(0, rows), default);
                long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
                state.Step(1e-3);
                long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
                tg += t1 - t0; tf += t2 - t1; to += t3 - t2;
            }
        }
        long sub = 0, total = 0;
        foreach (var slot in state.Slots)
            foreach (var buf in slot.Buffers) { total += buf.Length; foreach (float v in buf) if (float.IsSubnormal(v)) sub++; }
        Console.WriteLine($"  Adam slots after {epochs} epochs at batch {batch}: {sub:N0} of {total:N0} values subnormal");
        double f = System.Diagnostics.Stopwatch.Frequency;
        return (tg / f, tf / f, to / f);
    }

    public static void Run(float[] xData, float[] yData, int[] batches, int[] threadCounts, int reps, TextWriter md)
    {
        md.WriteLine("| threads | batch | GEMMs only s/epoch | forward+loss+backward s/epoch | Adam step s/epoch | sum |");
        md.WriteLine("|---|---|---|---|---|---|");
        foreach (int threads in threadCounts)
        {
            Kernels.MaxThreads = threads;
            foreach (int batch in batches)
            {
                var spec = new NetworkSpec { InputSize = EpochBench.Inputs, HiddenLayers = EpochBench.Hidden, OutputSize = EpochBench.Classes };
                var network = new Network(spec, seed: 1);
                var state = Optimizer.Adam(1e-3).CreateState(network.Parameters);
                var x = new Matrix(batch, EpochBench.Inputs, xData.AsSpan(0, batch * EpochBench.Inputs).ToArray());
                var y = yData.AsSpan(0, batch).ToArray();

                // The 8 products of one step (no dX for the input layer), on buffers of the right sizes.
                int[] l = [EpochBench.Inputs, .. EpochBench.Hidden, EpochBench.Classes];
                var bufs = Enumerable.Range(0, l.Length - 1).Select(i => (
                    X: new float[batch * l[i]], W: new float[l[i] * l[i + 1]], Y: new float[batch * l[i + 1]],
                    dW: new float[l[i] * l[i + 1]], dX: new float[batch * l[i]])).ToArray();
                void Gemms()
                {
                    for (int i = 0; i < bufs.Length; i++)
                        Kernels.MatMul(bufs[i].X, bufs[i].W, bufs[i].Y, batch, l[i], l[i + 1]);
                    for (int i = bufs.Length - 1; i >= 0; i--)
                    {
                        Kernels.MatMulTransposeA(bufs[i].X, bufs[i].Y, bufs[i].dW, l[i], batch, l[i + 1]);
                        if (i > 0) Kernels.MatMulTransposeB(bufs[i].Y, bufs[i].W, bufs[i].dX, batch, l[i + 1], l[i]);
                    }
                }
                var st = Harness.Interleaved(
                    [Gemms, () => network.ComputeGradients(x, y, default), () => state.Step(1e-3)], reps);
                var (tg, tf, to) = ManualEpochs(xData, yData, batch, epochs: 2);
                Console.WriteLine($"  manual epoch loop, batch {batch}, 2nd epoch: gather {tg:F3} s, forward+loss+backward {tf:F3} s, step {to:F3} s");
                md.WriteLine($"<!-- manual epoch loop, batch {batch}: gather {tg:F3} s, forward+loss+backward {tf:F3} s, step {to:F3} s -->");
                double perEpoch = (double)EpochBench.Rows / batch;
                double g = st[0].Median * perEpoch, f = st[1].Median * perEpoch, o = st[2].Median * perEpoch;
                string line = $"| {threads} | {batch} | {g:F3} | {f:F3} | {o:F3} | {f + o:F3} |";
                Console.WriteLine(line);
                md.WriteLine(line);
                md.Flush();
            }
        }
    }
}
