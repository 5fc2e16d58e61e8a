namespace MLNetBackprop.Engine;

/// <summary>
/// The engine's hot loops, in one place: matrix products and the element-wise maps and reductions
/// that layers, losses and optimizers need. Everything else calls these by their plain names.
/// All products are deterministic: each output element is summed in a fixed order whatever the
/// number of threads.
/// </summary>
public static partial class Kernels
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Most threads a matrix product may use (default <see cref="Environment.ProcessorCount"/>).
    /// Products below a few MFLOP always run on the calling thread. Results do not depend on it:
    /// threads split the output into tiles, never the inner dimension.
    /// </summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set => Volatile.Write(ref s_maxThreads, value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least one thread."));
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
        Gemm.Multiply(Gemm.Variant.NN, a, b, c, m, k, n, accumulate, MaxThreads);
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
        Gemm.Multiply(Gemm.Variant.TN, a, b, c, m, k, n, accumulate, MaxThreads);
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
        Gemm.Multiply(Gemm.Variant.NT, a, b, c, m, k, n, accumulate, MaxThreads);
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
