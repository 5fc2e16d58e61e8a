using MLNetBackprop.Engine;

namespace MLNetBackprop.Bench;

/// <summary>`split` mode: each product at 1 thread vs 2 threads (interleaved), to place the parallel threshold.</summary>
public static class SplitBench
{
    public static void Run(int reps, TextWriter md)
    {
        (string Op, int M, int K, int N)[] shapes =
        [
            ("NN", 128, 16, 256), ("NN", 128, 128, 26), ("NN", 32, 256, 128), ("NN", 64, 256, 128), ("NT", 64, 128, 256), ("TN", 256, 64, 128), ("NN", 32, 128, 256), ("NN", 256, 64, 256), ("NN", 128, 256, 128), ("TN", 256, 128, 128), ("NT", 128, 128, 256),
            ("NN", 32, 784, 256), ("TN", 784, 32, 256), ("NT", 32, 256, 784), ("NN", 128, 784, 256), ("TN", 784, 128, 256),
            ("NN", 64, 256, 256), ("NN", 256, 256, 256), ("NN", 512, 256, 128),
        ];
        md.WriteLine("| op | m×k×n | MFLOP | 1 thread µs | 2 threads µs | 2t/1t |");
        md.WriteLine("|---|---|---|---|---|---|");
        var rng = new Random(1);
        foreach (var (op, m, k, n) in shapes)
        {
            var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
            for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
            for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
            void Mul()
            {
                if (op == "NN") Kernels.MatMul(a, b, c, m, k, n);
                else if (op == "TN") Kernels.MatMulTransposeA(a, b, c, m, k, n);
                else Kernels.MatMulTransposeB(a, b, c, m, k, n);
            }
            var st = Harness.Interleaved([() => { Kernels.MaxThreads = 1; Mul(); }, () => { Kernels.MaxThreads = 2; Mul(); }], reps);
            double mf = 2.0 * m * k * n / 1e6;
            string line = $"| {op} | {m}×{k}×{n} | {mf:F1} | {st[0].Median * 1e6:F1} | {st[1].Median * 1e6:F1} | {st[1].Median / st[0].Median:F2} |";
            Console.WriteLine(line);
            md.WriteLine(line);
        }
        Kernels.MaxThreads = Environment.ProcessorCount;
    }
}
