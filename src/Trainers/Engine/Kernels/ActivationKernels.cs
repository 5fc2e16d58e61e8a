using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

/// <summary>Element-wise activation loops: forward maps x → y, backward maps dL/dy → dL/dx.</summary>
public static partial class Kernels
{
    /// <summary>y = σ(x) (vectorised; e⁻ˣ overflowing to ∞ gives the correct limit 0).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs, same length.</param>
    public static void SigmoidForward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    /// <summary>dx = dy·y·(1 − y), from the saved output.</summary>
    /// <param name="y">Saved outputs σ(x).</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written (may alias <paramref name="dy"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dx.Length;
        CheckLengths(y, dy, n);
        ref float ry = ref MemoryMarshal.GetReference(y), rdy = ref MemoryMarshal.GetReference(dy), rdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var one = Vector512.Create(1f); i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref ry, (nuint)i);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * (v * (one - v))).StoreUnsafe(ref rdx, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (var one = Vector256.Create(1f); i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref ry, (nuint)i);
                (Vector256.LoadUnsafe(ref rdy, (nuint)i) * (v * (one - v))).StoreUnsafe(ref rdx, (nuint)i);
            }
        for (; i < n; i++) dx[i] = dy[i] * (y[i] * (1f - y[i]));
    }

    /// <summary>Both inputs of an element-wise backward map cover the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int n)
    {
        if (a.Length < n || b.Length < n) throw new ArgumentException("Input spans are shorter than the output.");
    }

    /// <summary>y = tanh(x).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    public static void TanhForward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    /// <summary>dx = dy·(1 − y²), from the saved output.</summary>
    /// <param name="y">Saved outputs tanh(x).</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written (may alias <paramref name="dy"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dx.Length;
        CheckLengths(y, dy, n);
        ref float ry = ref MemoryMarshal.GetReference(y), rdy = ref MemoryMarshal.GetReference(dy), rdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var one = Vector512.Create(1f); i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref ry, (nuint)i);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * (one - v * v)).StoreUnsafe(ref rdx, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (var one = Vector256.Create(1f); i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref ry, (nuint)i);
                (Vector256.LoadUnsafe(ref rdy, (nuint)i) * (one - v * v)).StoreUnsafe(ref rdx, (nuint)i);
            }
        for (; i < n; i++) dx[i] = dy[i] * (1f - y[i] * y[i]);
    }

    /// <summary>y = max(0, x).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        // max(x, +0) with IEEE maximum semantics, as TensorPrimitives.Max / MathF.Max: NaN stays NaN,
        // −0 gives +0 (x > 0 ? x : +0, except NaN, which passes through).
        int n = y.Length;
        CheckLengths(x, x, n);
        ref float rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var keep = Vector512.GreaterThan(v, Vector512<float>.Zero) | ~Vector512.Equals(v, v);
                (v & keep).StoreUnsafe(ref ry, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                var keep = Vector256.GreaterThan(v, Vector256<float>.Zero) | ~Vector256.Equals(v, v);
                (v & keep).StoreUnsafe(ref ry, (nuint)i);
            }
        for (; i < n; i++) y[i] = MathF.Max(x[i], 0f);
    }

    /// <summary>dx = dy where x &gt; 0, else 0 (relu'(0) = 0).</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        // Branch-free: with real data the sign of x is unpredictable, and a branch per element
        // costs as much as the layer's GEMMs. (x > 0 is false for NaN, as in the scalar form.)
        int n = dx.Length;
        CheckLengths(x, dy, n);
        ref float rx = ref MemoryMarshal.GetReference(x), rdy = ref MemoryMarshal.GetReference(dy), rdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref rx, (nuint)i), Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) & mask).StoreUnsafe(ref rdx, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref rx, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref rdy, (nuint)i) & mask).StoreUnsafe(ref rdx, (nuint)i);
            }
        for (; i < n; i++) dx[i] = x[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>y = x for x &gt; 0, slope·x otherwise.</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="slope">Negative slope.</param>
    /// <param name="y">Outputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LeakyReluForward(ReadOnlySpan<float> x, float slope, Span<float> y)
    {
        int n = y.Length;
        CheckLengths(x, x, n);
        ref float rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var s = Vector512.Create(slope); i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, s * v).StoreUnsafe(ref ry, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (var s = Vector256.Create(slope); i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, s * v).StoreUnsafe(ref ry, (nuint)i);
            }
        for (; i < n; i++) y[i] = x[i] > 0f ? x[i] : slope * x[i];
    }

    /// <summary>dx = dy for x &gt; 0, slope·dy otherwise (so slope at 0, as torch).</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="slope">Negative slope.</param>
    /// <param name="dx">dL/dx, written.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float slope, Span<float> dx)
    {
        int n = dx.Length;
        CheckLengths(x, dy, n);
        ref float rx = ref MemoryMarshal.GetReference(x), rdy = ref MemoryMarshal.GetReference(dy), rdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var s = Vector512.Create(slope); i <= n - 16; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref rdy, (nuint)i);
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref rx, (nuint)i), Vector512<float>.Zero);
                Vector512.ConditionalSelect(mask, g, s * g).StoreUnsafe(ref rdx, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (var s = Vector256.Create(slope); i <= n - 8; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref rdy, (nuint)i);
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref rx, (nuint)i), Vector256<float>.Zero);
                Vector256.ConditionalSelect(mask, g, s * g).StoreUnsafe(ref rdx, (nuint)i);
            }
        for (; i < n; i++) dx[i] = x[i] > 0f ? dy[i] : slope * dy[i];
    }

    /// <summary>y = softplus(x) with β = 1, threshold 20 (computed in float64).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    public static void SoftplusForward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = (float)ActivationFunctions.Softplus(x[i]);
    }

    /// <summary>dx = dy·σ(x) (1 in the linear regime x &gt; 20).</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    public static void SoftplusBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * ActivationFunctions.SoftplusDerivative(x[i]));
    }

    /// <summary>y = ELU(x) (computed in float64 for an accurate eˣ − 1).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="alpha">α.</param>
    /// <param name="y">Outputs.</param>
    public static void EluForward(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = (float)ActivationFunctions.Elu(x[i], alpha);
    }

    /// <summary>dx = dy for x &gt; 0, dy·α·eˣ otherwise.</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="alpha">α.</param>
    /// <param name="dx">dL/dx, written.</param>
    public static void EluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float alpha, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * ActivationFunctions.EluDerivative(x[i], alpha));
    }

    /// <summary>y = GELU(x), exact (erf) or tanh-approximated, computed in float64.</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="approximateTanh">Use the tanh approximation.</param>
    /// <param name="y">Outputs.</param>
    public static void GeluForward(ReadOnlySpan<float> x, bool approximateTanh, Span<float> y)
    {
        if (approximateTanh)
            for (int i = 0; i < y.Length; i++) y[i] = (float)ActivationFunctions.GeluTanh(x[i]);
        else
            for (int i = 0; i < y.Length; i++) y[i] = (float)ActivationFunctions.Gelu(x[i]);
    }

    /// <summary>dx = dy·GELU'(x).</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="approximateTanh">Use the tanh approximation.</param>
    /// <param name="dx">dL/dx, written.</param>
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool approximateTanh, Span<float> dx)
    {
        if (approximateTanh)
            for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * ActivationFunctions.GeluTanhDerivative(x[i]));
        else
            for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * ActivationFunctions.GeluDerivative(x[i]));
    }

    /// <summary>y = x·σ(x): a vectorised sigmoid, then a product.</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs (must not alias <paramref name="x"/>).</param>
    public static void SiluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }

    /// <summary>dx = dy·σ(x)·(1 + x·(1 − σ(x))).</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    public static void SiluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * ActivationFunctions.SiluDerivative(x[i]));
    }

    private const float SeluScaleF = (float)ActivationFunctions.SeluScale;
    private const float SeluScaleAlphaF = (float)(ActivationFunctions.SeluScale * ActivationFunctions.SeluAlpha);

    /// <summary>y = SELU(x) = λ·x for x ≥ 0 (so SELU(0) is exactly 0), λ·α·(eˣ − 1) otherwise (vectorised exp; x and y may alias).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SeluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        int n = y.Length;
        CheckLengths(x, x, n);
        ref float rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var neg = Vector512.Create(SeluScaleAlphaF) * (Exp(Vector512.Min(v, Vector512<float>.Zero)) - Vector512<float>.One);
                Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(v, Vector512<float>.Zero), Vector512.Create(SeluScaleF) * v, neg).StoreUnsafe(ref ry, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                var neg = Vector256.Create(SeluScaleAlphaF) * (Exp(Vector256.Min(v, Vector256<float>.Zero)) - Vector256<float>.One);
                Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256<float>.Zero), Vector256.Create(SeluScaleF) * v, neg).StoreUnsafe(ref ry, (nuint)i);
            }
        for (; i < n; i++) y[i] = x[i] >= 0f ? SeluScaleF * x[i] : SeluScaleAlphaF * (MathF.Exp(x[i]) - 1f);
    }

    /// <summary>dx = dy·λ for x &gt; 0, dy·λ·α·eˣ otherwise.</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dx.Length;
        CheckLengths(x, dy, n);
        ref float rx = ref MemoryMarshal.GetReference(x), rdy = ref MemoryMarshal.GetReference(dy), rdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var d = Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), Vector512.Create(SeluScaleF),
                    Vector512.Create(SeluScaleAlphaF) * Exp(Vector512.Min(v, Vector512<float>.Zero)));
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * d).StoreUnsafe(ref rdx, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                var d = Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), Vector256.Create(SeluScaleF),
                    Vector256.Create(SeluScaleAlphaF) * Exp(Vector256.Min(v, Vector256<float>.Zero)));
                (Vector256.LoadUnsafe(ref rdy, (nuint)i) * d).StoreUnsafe(ref rdx, (nuint)i);
            }
        for (; i < n; i++) dx[i] = dy[i] * (x[i] > 0f ? SeluScaleF : SeluScaleAlphaF * MathF.Exp(x[i]));
    }

    /// <summary>The largest x whose eˣ Mish takes; tanh(softplus(x)) is 1 in float well before it.</summary>
    private const float MishExpCap = 20f;

    /// <summary>
    /// y = Mish(x) = x·tanh(softplus(x)) = x·n/(n + 2) with n = eˣ(eˣ + 2) (one vectorised exp, eˣ capped at e²⁰;
    /// x and y may alias).
    /// </summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MishForward(ReadOnlySpan<float> x, Span<float> y)
    {
        int n = y.Length;
        CheckLengths(x, x, n);
        ref float rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var two = Vector512.Create(2f); i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var e = Exp(Vector512.Min(v, Vector512.Create(MishExpCap)));
                var q = e * (e + two);
                (v * (q / (q + two))).StoreUnsafe(ref ry, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (var two = Vector256.Create(2f); i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                var e = Exp(Vector256.Min(v, Vector256.Create(MishExpCap)));
                var q = e * (e + two);
                (v * (q / (q + two))).StoreUnsafe(ref ry, (nuint)i);
            }
        for (; i < n; i++)
        {
            float e = MathF.Exp(MathF.Min(x[i], MishExpCap)), q = e * (e + 2f);
            y[i] = x[i] * (q / (q + 2f));
        }
    }

    /// <summary>dx = dy·(t + x·σ(x)·(1 − t²)), t = tanh(softplus(x)) = n/(n + 2), σ(x) = eˣ/(1 + eˣ).</summary>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MishBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dx.Length;
        CheckLengths(x, dy, n);
        ref float rx = ref MemoryMarshal.GetReference(x), rdy = ref MemoryMarshal.GetReference(dy), rdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var two = Vector512.Create(2f); i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var e = Exp(Vector512.Min(v, Vector512.Create(MishExpCap)));
                var q = e * (e + two);
                var t = q / (q + two);
                var s = e / (e + Vector512<float>.One);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * (t + v * s * (Vector512<float>.One - t * t))).StoreUnsafe(ref rdx, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (var two = Vector256.Create(2f); i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                var e = Exp(Vector256.Min(v, Vector256.Create(MishExpCap)));
                var q = e * (e + two);
                var t = q / (q + two);
                var s = e / (e + Vector256<float>.One);
                (Vector256.LoadUnsafe(ref rdy, (nuint)i) * (t + v * s * (Vector256<float>.One - t * t))).StoreUnsafe(ref rdx, (nuint)i);
            }
        for (; i < n; i++)
        {
            float e = MathF.Exp(MathF.Min(x[i], MishExpCap)), q = e * (e + 2f), t = q / (q + 2f), s = e / (e + 1f);
            dx[i] = dy[i] * (t + x[i] * s * (1f - t * t));
        }
    }

    /// <summary>dx = dy·mask (dropout backward; the mask holds 0 or 1/(1 − p)).</summary>
    /// <param name="mask">The dropout mask.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    public static void ApplyMask(ReadOnlySpan<float> mask, ReadOnlySpan<float> dy, Span<float> dx) => TensorPrimitives.Multiply(dy, mask, dx);
}
