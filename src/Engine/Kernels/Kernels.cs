namespace MLNetBackprop.Engine;

/// <summary>
/// The engine's hot loops, in one place: matrix products and the element-wise maps and reductions
/// that layers, losses and optimizers need. Everything else calls these by their plain names.
/// All products are deterministic: each output element is summed in a fixed order whatever the
/// number of threads.
/// </summary>
internal static partial class Kernels
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Most threads a matrix product may use (default <see cref="Environment.ProcessorCount"/>).
    /// A product is split only when each thread gets at least 1.5 MFLOP (so below 3 MFLOP it always runs on the
    /// calling thread); the parts go to a small persistent pool of helper threads. Results do not depend on it:
    /// threads split the output into tiles, never the inner dimension.
    /// </summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set => Volatile.Write(ref s_maxThreads, value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least one thread."));
    }

    private static readonly AsyncLocal<int?> s_scopedThreads = new();

    /// <summary>The thread limit for products on this logical call path: a <see cref="UseThreads"/> scope, else <see cref="MaxThreads"/>.</summary>
    public static int CurrentThreads => s_scopedThreads.Value ?? MaxThreads;

    /// <summary>
    /// Limits the products of the caller's logical call path (this thread and the tasks it awaits) to
    /// <paramref name="threads"/> threads until the returned scope is disposed; null leaves the limit as it is.
    /// Concurrent trainings with different limits do not disturb each other.
    /// </summary>
    /// <param name="threads">Threads to use, or null.</param>
    public static IDisposable UseThreads(int? threads)
    {
        if (threads is { } t) ArgumentOutOfRangeException.ThrowIfLessThan(t, 1, nameof(threads));
        int? previous = s_scopedThreads.Value;
        if (threads is not null) s_scopedThreads.Value = threads;
        return new ThreadScope(previous);
    }

    private sealed class ThreadScope(int? previous) : IDisposable
    {
        public void Dispose() => s_scopedThreads.Value = previous;
    }

    /// <summary>C = A·B (+ C when <paramref name="accumulate"/>): A is m×k, B is k×n, C is m×n, all row-major.</summary>
    /// <param name="a">m×k.</param>
    /// <param name="b">k×n.</param>
    /// <param name="c">m×n, written.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void MatMul(float[] a, float[] b, float[] c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a, (long)m * k, b, (long)k * n, c, (long)m * n);
        Gemm.Multiply(Gemm.Variant.NN, a, b, c, m, k, n, accumulate, CurrentThreads);
    }

    /// <summary>C = Aᵀ·B (+ C): A is k×m, B is k×n, C is m×n, all row-major.</summary>
    /// <param name="a">k×m.</param>
    /// <param name="b">k×n.</param>
    /// <param name="c">m×n, written.</param>
    /// <param name="m">Columns of A, rows of C.</param>
    /// <param name="k">Rows of A and B.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void MatMulTransposeA(float[] a, float[] b, float[] c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a, (long)k * m, b, (long)k * n, c, (long)m * n);
        Gemm.Multiply(Gemm.Variant.TN, a, b, c, m, k, n, accumulate, CurrentThreads);
    }

    /// <summary>C = A·Bᵀ (+ C): A is m×k, B is n×k, C is m×n, all row-major.</summary>
    /// <param name="a">m×k.</param>
    /// <param name="b">n×k.</param>
    /// <param name="c">m×n, written.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="n">Rows of B, columns of C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void MatMulTransposeB(float[] a, float[] b, float[] c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a, (long)m * k, b, (long)n * k, c, (long)m * n);
        Gemm.Multiply(Gemm.Variant.NT, a, b, c, m, k, n, accumulate, CurrentThreads);
    }

    private static void CheckSizes(float[] a, long aLen, float[] b, long bLen, float[] c, long cLen)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (a.Length < aLen || b.Length < bLen || c.Length < cLen)
            throw new ArgumentException($"Matrix buffers too small: need {aLen}, {bLen}, {cLen}; have {a.Length}, {b.Length}, {c.Length}.");
    }
}
