using MLNetBackprop.Engine;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.Engine;

/// <summary>GEMM kernels against a naive double-precision reference, and thread-count determinism.</summary>
[Collection(KernelThreadsCollection.Name)]
public class KernelGemmTests(ITestOutputHelper output)
{
    public enum Op { NN, TN, NT }

    private static readonly int[] Sizes = [1, 3, 17, 65, 129, 300];

    /// <summary>Buffers with slack at the end (filled with a sentinel that must stay untouched in C).</summary>
    private const int Slack = 7;
    private const float Sentinel = 12345.678f;

    private static float[] RandomBuffer(Random rng, int len, int slack = Slack)
    {
        var x = new float[len + slack];
        for (int i = 0; i < len; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = len; i < x.Length; i++) x[i] = Sentinel;
        return x;
    }

    private static void Run(Op op, float[] a, float[] b, float[] c, int m, int k, int n, bool accumulate)
    {
        switch (op)
        {
            case Op.NN: Kernels.MatMul(a, b, c, m, k, n, accumulate); break;
            case Op.TN: Kernels.MatMulTransposeA(a, b, c, m, k, n, accumulate); break;
            default: Kernels.MatMulTransposeB(a, b, c, m, k, n, accumulate); break;
        }
    }

    private static float A(Op op, float[] a, int m, int k, int i, int p) => op == Op.TN ? a[p * m + i] : a[i * k + p];
    private static float B(Op op, float[] b, int k, int n, int p, int j) => op == Op.NT ? b[j * k + p] : b[p * n + j];

    /// <summary>Checks C against Σ in double, with a tolerance scaled by Σ|a·b| (plus |C₀|).</summary>
    private static void CheckAgainstReference(Op op, float[] a, float[] b, float[] c0, float[] c, int m, int k, int n, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? c0[i * n + j] : 0, mag = accumulate ? Math.Abs(c0[i * n + j]) : 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (double)A(op, a, m, k, i, p) * B(op, b, k, n, p, j);
                    s += t;
                    mag += Math.Abs(t);
                }
                double err = Math.Abs(c[i * n + j] - s);
                Assert.True(err <= 1e-5 * mag + 1e-30,
                    $"{op} m={m} k={k} n={n} acc={accumulate}: C[{i},{j}] = {c[i * n + j]}, expected {s} (|err| {err:E2}, scale {mag:E2})");
            }
        for (int i = m * n; i < c.Length; i++) Assert.Equal(Sentinel, c[i]);
    }

    public static IEnumerable<object[]> ShapeCases()
    {
        var rng = new Random(1234);
        foreach (var op in new[] { Op.NN, Op.TN, Op.NT })
        {
            // Every size on every axis once, plus random triples of sizes.
            foreach (int s in Sizes)
            {
                yield return [op, s, 17, 65, rng.Next(2) == 0];
                yield return [op, 65, s, 17, rng.Next(2) == 0];
                yield return [op, 17, 65, s, rng.Next(2) == 0];
            }
            for (int t = 0; t < 6; t++)
                yield return [op, Sizes[rng.Next(Sizes.Length)], Sizes[rng.Next(Sizes.Length)], Sizes[rng.Next(Sizes.Length)], t % 2 == 0];
        }
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void MatchesNaiveReference(Op op, int m, int k, int n, bool accumulate)
    {
        var rng = new Random(m * 1_000_003 + k * 1009 + n);
        var a = RandomBuffer(rng, m * k);
        var b = RandomBuffer(rng, k * n);
        var c0 = RandomBuffer(rng, m * n);
        var c = (float[])c0.Clone();
        Run(op, a, b, c, m, k, n, accumulate);
        CheckAgainstReference(op, a, b, c0, c, m, k, n, accumulate);
    }

    [Theory]
    [InlineData(Op.NN, 32, 784, 256)]
    [InlineData(Op.TN, 784, 32, 256)]
    [InlineData(Op.NT, 32, 256, 784)]
    [InlineData(Op.NN, 300, 300, 129)]
    [InlineData(Op.TN, 129, 300, 300)]
    [InlineData(Op.NT, 300, 129, 300)]
    public void LargeProductsMatchReferenceWithThreads(Op op, int m, int k, int n)
    {
        var rng = new Random(m + k + n);
        var a = RandomBuffer(rng, m * k);
        var b = RandomBuffer(rng, k * n);
        foreach (bool accumulate in new[] { false, true })
        {
            var c0 = RandomBuffer(rng, m * n);
            var c = (float[])c0.Clone();
            using (KernelThreads.Set(2)) Run(op, a, b, c, m, k, n, accumulate);
            CheckAgainstReference(op, a, b, c0, c, m, k, n, accumulate);
        }
    }

    [Theory]
    [InlineData(Op.NN)]
    [InlineData(Op.TN)]
    [InlineData(Op.NT)]
    public void ScalarFallbackMatchesReference(Op op)
    {
        var rng = new Random(99);
        Gemm.Force = Gemm.Isa.Scalar;
        try
        {
            foreach (var (m, k, n) in new[] { (17, 65, 33), (129, 3, 300), (1, 300, 17) })
            {
                var a = RandomBuffer(rng, m * k);
                var b = RandomBuffer(rng, k * n);
                var c0 = RandomBuffer(rng, m * n);
                var c = (float[])c0.Clone();
                Run(op, a, b, c, m, k, n, accumulate: true);
                CheckAgainstReference(op, a, b, c0, c, m, k, n, accumulate: true);
            }
        }
        finally
        {
            Gemm.Force = null;
        }
    }

    public static IEnumerable<object[]> DeterminismCases()
    {
        foreach (var op in new[] { Op.NN, Op.TN, Op.NT })
        {
            yield return [op, 128, 784, 256];
            yield return [op, 512, 256, 128];
            yield return [op, 1, 1500, 2000]; // one row: threads split columns
            yield return [op, 300, 1000, 65];
            yield return [op, 37, 523, 301];
            yield return [op, 250, 300, 256]; // column tiles that run their rows in several packed blocks
        }
    }

    [Theory]
    [MemberData(nameof(DeterminismCases))]
    public void BitIdenticalForAnyThreadCount(Op op, int m, int k, int n)
    {
        var rng = new Random(7);
        var a = RandomBuffer(rng, m * k);
        var b = RandomBuffer(rng, k * n);
        var c0 = RandomBuffer(rng, m * n);
        foreach (bool accumulate in new[] { false, true })
        {
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 4, 3 })
            {
                var c = (float[])c0.Clone();
                using (KernelThreads.Set(threads)) Run(op, a, b, c, m, k, n, accumulate);
                if (first is null) first = c;
                else Assert.True(first.AsSpan().SequenceEqual(c), $"{op} {m}×{k}×{n} acc={accumulate}: {threads} threads differ from 1 thread");
            }
        }
    }

    [Theory]
    [InlineData(Op.NN)]
    [InlineData(Op.TN)]
    [InlineData(Op.NT)]
    public void BitIdenticalAcrossMicroKernels(Op op)
    {
        // Each C element is one FMA chain in ascending k whatever the vector width, so the AVX-512,
        // AVX2 and scalar (MathF.FusedMultiplyAdd) kernels agree bit for bit on an FMA machine.
        if (!System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            // Without FMA only the scalar kernel (separate multiply and add) exists: there is nothing to compare it with
            // (MatchesNaiveReference and ScalarFallbackMatchesReference still check it against double precision).
            output.WriteLine("No FMA (or DOTNET_EnableAVX2=0): only the scalar micro-kernel runs here; the comparison across micro-kernels needs FMA.");
            Assert.Equal(Gemm.Isa.Scalar, Gemm.Best);
            return;
        }
        output.WriteLine($"comparing {Gemm.Best} with {string.Join(", ", new[] { Gemm.Isa.Avx2, Gemm.Isa.Scalar }.Where(i => i < Gemm.Best))}");
        var rng = new Random(5);
        foreach (var (m, k, n) in new[] { (37, 523, 301), (128, 784, 256), (1, 17, 65) })
        {
            var a = RandomBuffer(rng, m * k);
            var b = RandomBuffer(rng, k * n);
            var c0 = RandomBuffer(rng, m * n);
            float[]? first = null;
            foreach (var isa in new Gemm.Isa?[] { null, Gemm.Isa.Avx2, Gemm.Isa.Scalar })
            {
                var c = (float[])c0.Clone();
                Gemm.Force = isa;
                try { Run(op, a, b, c, m, k, n, accumulate: true); }
                finally { Gemm.Force = null; }
                if (first is null) first = c;
                else Assert.True(first.AsSpan().SequenceEqual(c), $"{op} {m}×{k}×{n}: {isa} differs from {Gemm.Best}");
            }
        }
    }

    [Fact]
    public void SteadyStateProductsDoNotAllocateOnOneThread()
    {
        var rng = new Random(3);
        const int d = 129, k = 300; // A, B: d×k or k×d as each variant reads them; C: d×d
        var a = RandomBuffer(rng, d * k);
        var b = RandomBuffer(rng, d * k);
        var c = new float[d * d];
        void All()
        {
            Kernels.MatMul(a, b, c, d, k, d);            // A d×k, B k×d
            Kernels.MatMulTransposeA(a, b, c, d, k, d);  // A k×d, B k×d
            Kernels.MatMulTransposeB(a, b, c, d, k, d);  // A d×k, B d×k
        }
        using (KernelThreads.Set(1))
        {
            for (int warm = 0; warm < 3; warm++) All();
            // A per-call allocation shows up on every attempt; a one-time runtime allocation charged to this thread
            // (tiered-JIT bookkeeping when a method is promoted mid-measurement) shows up once.
            long least = long.MaxValue;
            for (int attempt = 0; attempt < 3 && least != 0; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 5; i++) All();
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.Equal(0, least);
        }
    }

    [Fact]
    public void ZeroInnerDimensionClearsOrKeeps()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Kernels.MatMul([], [], c, 2, 0, 2, accumulate: true);
        Assert.Equal([1f, 2f, 3f, 4f], c);
        Kernels.MatMulTransposeB([], [], c, 2, 0, 2);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void TooSmallBuffersThrow()
    {
        Assert.Throws<ArgumentException>(() => Kernels.MatMul(new float[5], new float[6], new float[4], 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Kernels.MatMulTransposeA(new float[6], new float[5], new float[4], 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Kernels.MatMulTransposeB(new float[6], new float[6], new float[3], 2, 3, 2));
    }

    [Fact]
    public void MaxThreadsRejectsZero()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.MaxThreads = 0);
    }
}

/// <summary>Tests that change the global <see cref="Kernels.MaxThreads"/> run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class KernelThreadsCollection
{
    public const string Name = "Kernel threads";
}

/// <summary>Sets <see cref="Kernels.MaxThreads"/> for a scope.</summary>
internal sealed class KernelThreads : IDisposable
{
    private readonly int _previous;
    private KernelThreads(int threads)
    {
        _previous = Kernels.MaxThreads;
        Kernels.MaxThreads = threads;
    }
    public static KernelThreads Set(int threads) => new(threads);
    public void Dispose() => Kernels.MaxThreads = _previous;
}
