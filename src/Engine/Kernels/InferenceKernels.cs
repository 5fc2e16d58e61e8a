using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MLNetBackprop.Engine;

internal static partial class Kernels
{
    /// <summary>Column padding of the weight matrices <see cref="RowTimesPaddedMatrix"/> takes: one Vector512 of floats.</summary>
    internal const int RowPadding = 16;

    /// <summary>Rounds a column count up to a multiple of <see cref="RowPadding"/>.</summary>
    /// <param name="columns">Columns.</param>
    internal static int PaddedColumns(int columns) => (columns + RowPadding - 1) / RowPadding * RowPadding;

    /// <summary>
    /// The single-row scoring product y = act(x·W + b), with W stored inputs × <paramref name="stride"/>
    /// (stride a multiple of <see cref="RowPadding"/>, padding columns 0) and b, y at least stride long.
    /// Each output is computed exactly as the GEMM behind <see cref="MatMul"/> computes an element of
    /// X·W: one accumulator starting at +0, then acc = fma(x_i, W_ij, acc) for every i in ascending order
    /// (no zero skipping: fma(0, w, −0) is +0 for w ≥ 0, and 0·∞ is NaN), with FMA exactly when the GEMM
    /// uses it (<see cref="System.Runtime.Intrinsics.X86.Fma.IsSupported"/>; separate multiply and add otherwise);
    /// then <see cref="BiasActivate"/> adds b and applies ReLU / leaky ReLU. So a row scored here and the same
    /// row scored in a block by <see cref="InferenceNetwork.ForwardBatch"/> give the same bits. The accumulators
    /// stay in registers (up to 8 Vector512 = 128 columns per pass over x). Other activations are left to the caller.
    /// </summary>
    /// <param name="x">The input row (W's row count).</param>
    /// <param name="w">inputs × stride, row-major.</param>
    /// <param name="b">stride values (padding 0).</param>
    /// <param name="y">Receives stride values.</param>
    /// <param name="stride">Padded column count.</param>
    /// <param name="fused">The activation applied inside the product, or <see cref="FusedActivation.None"/>.</param>
    /// <param name="slope">Leaky ReLU slope.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    internal static unsafe void RowTimesPaddedMatrix(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int stride, FusedActivation fused, float slope)
    {
        int inputs = x.Length;
        if ((stride & (RowPadding - 1)) != 0 || w.Length < inputs * stride || b.Length < stride || y.Length < stride)
            throw new ArgumentException("Buffers do not match the padded shape.");
        fixed (float* px = x, pw = w, py = y)
        {
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            {
                int j = 0;
                for (; j + 128 <= stride; j += 128) Tile8(px, inputs, pw + j, stride, py + j);
                for (; j + 64 <= stride; j += 64) Tile4(px, inputs, pw + j, stride, py + j);
                for (; j < stride; j += 16) Tile1(px, inputs, pw + j, stride, py + j);
            }
            else if (Fma.IsSupported && Avx.IsSupported)
            {
                for (int j = 0; j < stride; j += 16) Tile2x256(px, inputs, pw + j, stride, py + j);
            }
            else
            {
                for (int j = 0; j < stride; j++)
                {
                    float acc = 0f;
                    float* col = pw + j;
                    for (int i = 0; i < inputs; i++, col += stride)
                        acc = Fma.IsSupported ? MathF.FusedMultiplyAdd(px[i], *col, acc) : acc + px[i] * *col;
                    py[j] = acc;
                }
            }
        }
        BiasActivate(y[..stride], b[..stride], fused, slope);
    }

    /// <summary>
    /// y = act(y + b) element-wise over a padded row (length a multiple of <see cref="RowPadding"/>), act = ReLU,
    /// leaky ReLU or identity. Both scoring paths (single row and block) finish every layer's product here, on rows
    /// of the same padded length, so they apply the same operations to every element.
    /// </summary>
    /// <param name="y">Products in, activations out (stride values).</param>
    /// <param name="b">stride bias values.</param>
    /// <param name="fused">The activation applied with the bias, or <see cref="FusedActivation.None"/>.</param>
    /// <param name="slope">Leaky ReLU slope.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    internal static unsafe void BiasActivate(Span<float> y, ReadOnlySpan<float> b, FusedActivation fused, float slope)
    {
        if ((y.Length & (RowPadding - 1)) != 0 || b.Length < y.Length) throw new ArgumentException("Buffers do not match the padded shape.");
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(slope);
            fixed (float* py = y, pb = b)
                for (int j = 0; j < y.Length; j += 16)
                    Act(Vector512.Load(py + j) + Vector512.Load(pb + j), fused, s).Store(py + j);
            return;
        }
        for (int j = 0; j < y.Length; j++) y[j] += b[j];
        ApplyFused(y, fused, slope);
    }

    private static void ApplyFused(Span<float> y, FusedActivation fused, float slope)
    {
        if (fused == FusedActivation.Relu) Map(new ReluOperator(), y, y);
        else if (fused == FusedActivation.LeakyRelu) Map(new LeakyReluOperator(slope), y, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Act(Vector512<float> v, FusedActivation fused, Vector512<float> slope)
    {
        if (fused == FusedActivation.Relu) return Vector512.Max(v, Vector512<float>.Zero);
        if (fused == FusedActivation.LeakyRelu) return Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, slope * v);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    private static unsafe void Tile8(float* x, int inputs, float* w, int stride, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int i = 0; i < inputs; i++, w += stride)
        {
            var v = Vector512.Create(x[i]);
            a0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w), a0); a1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 16), a1);
            a2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 32), a2); a3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 48), a3);
            a4 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 64), a4); a5 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 80), a5);
            a6 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 96), a6); a7 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 112), a7);
        }
        a0.Store(y); a1.Store(y + 16); a2.Store(y + 32); a3.Store(y + 48);
        a4.Store(y + 64); a5.Store(y + 80); a6.Store(y + 96); a7.Store(y + 112);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    private static unsafe void Tile4(float* x, int inputs, float* w, int stride, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int i = 0; i < inputs; i++, w += stride)
        {
            var v = Vector512.Create(x[i]);
            a0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w), a0); a1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 16), a1);
            a2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 32), a2); a3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 48), a3);
        }
        a0.Store(y); a1.Store(y + 16); a2.Store(y + 32); a3.Store(y + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    private static unsafe void Tile1(float* x, int inputs, float* w, int stride, float* y)
    {
        // One chain per column, ascending i: two interleaved chains would change the summation order.
        Vector512<float> a0 = default;
        for (int i = 0; i < inputs; i++, w += stride)
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[i]), Vector512.Load(w), a0);
        a0.Store(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    private static unsafe void Tile2x256(float* x, int inputs, float* w, int stride, float* y)
    {
        Vector256<float> a0 = default, a1 = default;
        for (int i = 0; i < inputs; i++, w += stride)
        {
            var v = Vector256.Create(x[i]);
            a0 = Fma.MultiplyAdd(v, Avx.LoadVector256(w), a0);
            a1 = Fma.MultiplyAdd(v, Avx.LoadVector256(w + 8), a1);
        }
        Avx.Store(y, a0);
        Avx.Store(y + 8, a1);
    }
}
