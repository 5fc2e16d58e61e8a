using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

public static partial class Kernels
{
    /// <summary>Applies an activation to <paramref name="values"/> in place (scoring path; the element-wise forward kernels allow x and y to alias).</summary>
    /// <param name="activation">The function.</param>
    /// <param name="values">Pre-activations in, activations out.</param>
    /// <param name="leakySlope">Negative slope of leaky ReLU.</param>
    public static void ActivateInPlace(Activation activation, Span<float> values, float leakySlope)
    {
        switch (activation)
        {
            case Activation.Relu: ReluForward(values, values); break;
            case Activation.LeakyRelu: LeakyReluForward(values, leakySlope, values); break;
            case Activation.Sigmoid: SigmoidForward(values, values); break;
            case Activation.Tanh: TanhForward(values, values); break;
            case Activation.Softplus: SoftplusForward(values, values); break;
            case Activation.Elu: EluForward(values, 1f, values); break;
            case Activation.Gelu: GeluForward(values, false, values); break;
            case Activation.GeluTanh: GeluForward(values, true, values); break;
            case Activation.Silu:
                for (int i = 0; i < values.Length; i++) values[i] *= 1f / (1f + MathF.Exp(-values[i]));
                break;
            case Activation.Identity: break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>Column padding of the weight matrices <see cref="RowTimesPaddedMatrix"/> takes: one Vector512 of floats.</summary>
    internal const int RowPadding = 16;

    /// <summary>Rounds a column count up to a multiple of <see cref="RowPadding"/>.</summary>
    /// <param name="columns">Columns.</param>
    internal static int PaddedColumns(int columns) => (columns + RowPadding - 1) / RowPadding * RowPadding;

    /// <summary>
    /// The single-row scoring product y = act(x·W + b), with W stored inputs × <paramref name="stride"/>
    /// (stride a multiple of <see cref="RowPadding"/>, padding columns 0) and b, y at least stride long.
    /// Same arithmetic as <see cref="RowTimesMatrix"/>: y starts at b and adds x_i·W_i for ascending i,
    /// skipping x_i = 0, with separate multiply and add (no FMA), so both give the same bits; but the
    /// accumulators stay in registers (up to 8 Vector512 = 128 columns per pass over x) and ReLU /
    /// leaky ReLU are applied before the single store. Other activations are left to the caller.
    /// </summary>
    /// <param name="x">The input row (W's row count).</param>
    /// <param name="w">inputs × stride, row-major.</param>
    /// <param name="b">stride values (padding 0).</param>
    /// <param name="y">Receives stride values.</param>
    /// <param name="stride">Padded column count.</param>
    /// <param name="fused">Relu, LeakyRelu, or Identity (anything else: no activation applied).</param>
    /// <param name="slope">Leaky ReLU slope.</param>
    internal static unsafe void RowTimesPaddedMatrix(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int stride, Activation fused, float slope)
    {
        int inputs = x.Length;
        if ((stride & (RowPadding - 1)) != 0 || w.Length < inputs * stride || b.Length < stride || y.Length < stride)
            throw new ArgumentException("Buffers do not match the padded shape.");
        if (!Vector512.IsHardwareAccelerated)
        {
            RowTimesMatrix(x, w[..(inputs * stride)], b, y[..stride]);
            ApplyFused(y[..stride], fused, slope);
            return;
        }
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            int j = 0;
            for (; j + 128 <= stride; j += 128) Tile8(px, inputs, pw + j, stride, pb + j, py + j, fused, slope);
            for (; j + 64 <= stride; j += 64) Tile4(px, inputs, pw + j, stride, pb + j, py + j, fused, slope);
            for (; j < stride; j += 16) Tile1(px, inputs, pw + j, stride, pb + j, py + j, fused, slope);
        }
    }

    private static void ApplyFused(Span<float> y, Activation fused, float slope)
    {
        if (fused == Activation.Relu) ReluForward(y, y);
        else if (fused == Activation.LeakyRelu) LeakyReluForward(y, slope, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Act(Vector512<float> v, Activation fused, Vector512<float> slope)
    {
        if (fused == Activation.Relu) return Vector512.Max(v, Vector512<float>.Zero);
        if (fused == Activation.LeakyRelu) return Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, slope * v);
        return v;
    }

    private static unsafe void Tile8(float* x, int inputs, float* w, int stride, float* b, float* y, Activation fused, float slope)
    {
        Vector512<float> a0 = Vector512.Load(b), a1 = Vector512.Load(b + 16), a2 = Vector512.Load(b + 32), a3 = Vector512.Load(b + 48);
        Vector512<float> a4 = Vector512.Load(b + 64), a5 = Vector512.Load(b + 80), a6 = Vector512.Load(b + 96), a7 = Vector512.Load(b + 112);
        for (int i = 0; i < inputs; i++, w += stride)
        {
            float xi = x[i];
            if (xi == 0f) continue;
            var v = Vector512.Create(xi);
            a0 += Vector512.Load(w) * v; a1 += Vector512.Load(w + 16) * v;
            a2 += Vector512.Load(w + 32) * v; a3 += Vector512.Load(w + 48) * v;
            a4 += Vector512.Load(w + 64) * v; a5 += Vector512.Load(w + 80) * v;
            a6 += Vector512.Load(w + 96) * v; a7 += Vector512.Load(w + 112) * v;
        }
        var s = Vector512.Create(slope);
        Act(a0, fused, s).Store(y); Act(a1, fused, s).Store(y + 16); Act(a2, fused, s).Store(y + 32); Act(a3, fused, s).Store(y + 48);
        Act(a4, fused, s).Store(y + 64); Act(a5, fused, s).Store(y + 80); Act(a6, fused, s).Store(y + 96); Act(a7, fused, s).Store(y + 112);
    }

    private static unsafe void Tile4(float* x, int inputs, float* w, int stride, float* b, float* y, Activation fused, float slope)
    {
        Vector512<float> a0 = Vector512.Load(b), a1 = Vector512.Load(b + 16), a2 = Vector512.Load(b + 32), a3 = Vector512.Load(b + 48);
        for (int i = 0; i < inputs; i++, w += stride)
        {
            float xi = x[i];
            if (xi == 0f) continue;
            var v = Vector512.Create(xi);
            a0 += Vector512.Load(w) * v; a1 += Vector512.Load(w + 16) * v;
            a2 += Vector512.Load(w + 32) * v; a3 += Vector512.Load(w + 48) * v;
        }
        var s = Vector512.Create(slope);
        Act(a0, fused, s).Store(y); Act(a1, fused, s).Store(y + 16); Act(a2, fused, s).Store(y + 32); Act(a3, fused, s).Store(y + 48);
    }

    private static unsafe void Tile1(float* x, int inputs, float* w, int stride, float* b, float* y, Activation fused, float slope)
    {
        // Two interleaved chains over alternate inputs would change the summation order; one chain keeps it.
        Vector512<float> a0 = Vector512.Load(b);
        for (int i = 0; i < inputs; i++, w += stride)
        {
            float xi = x[i];
            if (xi == 0f) continue;
            a0 += Vector512.Load(w) * Vector512.Create(xi);
        }
        Act(a0, fused, Vector512.Create(slope)).Store(y);
    }
}
