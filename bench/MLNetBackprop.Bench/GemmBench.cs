using MLNetBackprop.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetBackprop.Bench;

/// <summary>The GEMMs of one training step of an MLP, ours vs torch (addmm_ into a preallocated C, β = 0).</summary>
public static class GemmBench
{
    public enum Op { NN, TN, NT }

    public static readonly int[] Layers = [784, 256, 128, 10];

    public static void Run(int[] batches, int[] threadCounts, int reps, TextWriter md)
    {
        WarmUp();
        md.WriteLine("| threads | batch | layer | op | m×k×n | ours GFLOP/s (min–max) | torch GFLOP/s (min–max) | ours/torch |");
        md.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (int threads in threadCounts)
        {
            torch.set_num_threads(threads);
            Kernels.MaxThreads = threads;
            foreach (int batch in batches)
                for (int l = 0; l + 1 < Layers.Length; l++)
                {
                    int fanIn = Layers[l], fanOut = Layers[l + 1];
                    foreach (var op in new[] { Op.NN, Op.TN, Op.NT })
                    {
                        // Forward Y = X·W (NN), weight gradient dW = Xᵀ·dY (TN), input gradient dX = dY·Wᵀ (NT).
                        var (m, k, n) = op switch
                        {
                            Op.NN => (batch, fanIn, fanOut),
                            Op.TN => (fanIn, batch, fanOut),
                            _ => (batch, fanOut, fanIn),
                        };
                        var line = One(op, m, k, n, reps, threads, batch, $"{fanIn}→{fanOut}");
                        Console.WriteLine(line);
                        md.WriteLine(line);
                        md.Flush();
                    }
                }
        }
    }

    /// <summary>Runs every variant, ours and torch's, for about a second so that no measurement sees cold code.</summary>
    private static void WarmUp()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (var op in new[] { Op.NN, Op.TN, Op.NT })
            One(op, 128, 256, 128, reps: 3, threads: Kernels.MaxThreads, batch: 0, layer: "warm-up");
        while (sw.Elapsed.TotalSeconds < 1)
            foreach (var op in new[] { Op.NN, Op.TN, Op.NT })
                One(op, 37, 301, 65, reps: 1, threads: Kernels.MaxThreads, batch: 0, layer: "warm-up");
    }

    private static string One(Op op, int m, int k, int n, int reps, int threads, int batch, string layer)
    {
        var rng = new Random(m * 31 + k * 7 + n);
        // Stored shapes: A is m×k (k×m for TN), B is k×n (n×k for NT).
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5);

        using var ta = op == Op.TN ? torch.tensor(a, [k, m]) : torch.tensor(a, [m, k]);
        using var tb = op == Op.NT ? torch.tensor(b, [n, k]) : torch.tensor(b, [k, n]);
        using var tc = torch.zeros(m, n);
        using var opA = op == Op.TN ? ta.t() : ta.alias();
        using var opB = op == Op.NT ? tb.t() : tb.alias();

        Action ours = op switch
        {
            Op.NN => () => Kernels.MatMul(a, b, c, m, k, n),
            Op.TN => () => Kernels.MatMulTransposeA(a, b, c, m, k, n),
            _ => () => Kernels.MatMulTransposeB(a, b, c, m, k, n),
        };
        Action theirs = () => tc.addmm_(opA, opB, 0, 1);

        // Agreement check (same inputs).
        ours();
        theirs();
        var tcData = tc.data<float>().ToArray();
        double maxDiff = 0, maxAbs = 1e-30;
        for (int i = 0; i < c.Length; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(c[i] - tcData[i])); maxAbs = Math.Max(maxAbs, Math.Abs(tcData[i])); }
        if (maxDiff > 1e-4 * maxAbs) Console.WriteLine($"  WARNING {op} {m}×{k}×{n}: max |ours − torch| = {maxDiff:E2} (max |C| {maxAbs:E2})");

        var st = Harness.Interleaved([ours, theirs], reps);
        double flops = 2.0 * m * k * n;
        string G(Stats s) => $"{flops / s.Median / 1e9:F1} ({flops / s.Max / 1e9:F1}–{flops / s.Min / 1e9:F1})";
        return $"| {threads} | {batch} | {layer} | {op} | {m}×{k}×{n} | {G(st[0])} | {G(st[1])} | {st[1].Median / st[0].Median:F2} |";
    }
}
