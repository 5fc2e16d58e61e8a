using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

/// <summary>
/// A float map in scalar and vector forms, as <c>TensorPrimitives</c>' operators: the loop is
/// <see cref="Kernels.Map{TOperator}(TOperator, ReadOnlySpan{float}, Span{float})"/>'s, the maths the operator's (an
/// activation's forward, defined next to its layer). The three forms must compute the same expression.
/// </summary>
internal interface IUnaryOperator
{
    /// <summary>One value.</summary>
    float Invoke(float x);

    /// <summary>Eight values.</summary>
    Vector256<float> Invoke(Vector256<float> x);

    /// <summary>Sixteen values.</summary>
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>
/// A map of two floats in scalar and vector forms (an activation's backward: a saved input or output and dL/dy give
/// dL/dx); applied by <see cref="Kernels.Map{TOperator}(TOperator, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>.
/// </summary>
internal interface IBinaryOperator
{
    /// <summary>One pair.</summary>
    float Invoke(float a, float b);

    /// <summary>Eight pairs.</summary>
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);

    /// <summary>Sixteen pairs.</summary>
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
}

/// <summary>A function evaluated in float64, one value at a time (where float32 would lose accuracy: erf, log1p, expm1).</summary>
internal interface IDoubleFunction
{
    /// <summary>f(x).</summary>
    double Invoke(double x);
}

/// <summary>Element-wise loops: an operator applied to every value, vector-wide where the operator has vector forms.</summary>
internal static partial class Kernels
{
    /// <summary>y = f(x), with f's 16-lane form where the machine has 512-bit vectors, else its 8-lane form, then its scalar form (x and y may alias).</summary>
    /// <param name="f">The operator.</param>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Map<TOperator>(TOperator f, ReadOnlySpan<float> x, Span<float> y) where TOperator : struct, IUnaryOperator
    {
        int n = y.Length;
        CheckLengths(x, x, n);
        ref float rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) f.Invoke(Vector512.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) f.Invoke(Vector256.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        for (; i < n; i++) y[i] = f.Invoke(x[i]);
    }

    /// <summary>y = f(a, b) element-wise, vector-wide as <see cref="Map{TOperator}(TOperator, ReadOnlySpan{float}, Span{float})"/> (y may alias b).</summary>
    /// <param name="f">The operator.</param>
    /// <param name="a">First inputs (a saved input or output).</param>
    /// <param name="b">Second inputs (dL/dy).</param>
    /// <param name="y">Outputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Map<TOperator>(TOperator f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOperator : struct, IBinaryOperator
    {
        int n = y.Length;
        CheckLengths(a, b, n);
        ref float ra = ref MemoryMarshal.GetReference(a), rb = ref MemoryMarshal.GetReference(b), ry = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
                f.Invoke(Vector512.LoadUnsafe(ref ra, (nuint)i), Vector512.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                f.Invoke(Vector256.LoadUnsafe(ref ra, (nuint)i), Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        for (; i < n; i++) y[i] = f.Invoke(a[i], b[i]);
    }

    /// <summary>y = f(x) computed in float64 and rounded once.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    internal static void MapInDouble<TFunction>(TFunction f, ReadOnlySpan<float> x, Span<float> y) where TFunction : struct, IDoubleFunction
    {
        CheckLengths(x, x, y.Length);
        for (int i = 0; i < y.Length; i++) y[i] = (float)f.Invoke(x[i]);
    }

    /// <summary>dx = dy·f′(x) with f′ computed in float64, the product rounded once.</summary>
    /// <param name="derivative">f′.</param>
    /// <param name="x">Saved inputs.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    internal static void MultiplyByDerivativeInDouble<TFunction>(TFunction derivative, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
        where TFunction : struct, IDoubleFunction
    {
        CheckLengths(x, dy, dx.Length);
        for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * derivative.Invoke(x[i]));
    }

    /// <summary>Both inputs of an element-wise map cover the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int n)
    {
        if (a.Length < n || b.Length < n) throw new ArgumentException("Input spans are shorter than the output.");
    }

    /// <summary>y = σ(x) (vectorised; e⁻ˣ overflowing to ∞ gives the correct limit 0).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs, same length.</param>
    public static void SigmoidForward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    /// <summary>y = tanh(x).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs.</param>
    public static void TanhForward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    /// <summary>dx = dy·mask (dropout backward; the mask holds 0 or 1/(1 − p)).</summary>
    /// <param name="mask">The dropout mask.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    public static void ApplyMask(ReadOnlySpan<float> mask, ReadOnlySpan<float> dy, Span<float> dx) => TensorPrimitives.Multiply(dy, mask, dx);
}
