using System.Numerics.Tensors;

namespace MLNetBackprop.Engine;

/// <summary>
/// The engine's hot loops, in one place: matrix products and the element-wise maps and reductions
/// that layers, losses and optimizers need. Everything else calls these by their plain names.
/// All products are deterministic: each output element is summed in a fixed order whatever the
/// number of threads.
/// </summary>
public static partial class Kernels
{
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
        for (int i = 0; i < m; i++)
        {
            var ci = c.AsSpan(i * n, n);
            if (!accumulate) ci.Clear();
            for (int p = 0; p < k; p++)
            {
                float aip = a[i * k + p];
                if (aip != 0f) TensorPrimitives.MultiplyAdd(b.AsSpan(p * n, n), aip, ci, ci);
            }
        }
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
        if (!accumulate) c.AsSpan(0, m * n).Clear();
        for (int i = 0; i < m; i++)
        {
            var ci = c.AsSpan(i * n, n);
            for (int p = 0; p < k; p++)
            {
                float api = a[p * m + i];
                if (api != 0f) TensorPrimitives.MultiplyAdd(b.AsSpan(p * n, n), api, ci, ci);
            }
        }
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
        for (int i = 0; i < m; i++)
        {
            var ai = a.AsSpan(i * k, k);
            for (int j = 0; j < n; j++)
            {
                float dot = TensorPrimitives.Dot(ai, b.AsSpan(j * k, k));
                c[i * n + j] = accumulate ? c[i * n + j] + dot : dot;
            }
        }
    }

    private static void CheckSizes(float[] a, long aLen, float[] b, long bLen, float[] c, long cLen)
    {
        if (a.Length < aLen || b.Length < bLen || c.Length < cLen)
            throw new ArgumentException($"Matrix buffers too small: need {aLen}, {bLen}, {cLen}; have {a.Length}, {b.Length}, {c.Length}.");
    }
}
