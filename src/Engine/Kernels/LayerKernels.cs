using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

/// <summary>
/// The per-batch row loops of the dense layer (bias add, bias gradient). Compiled fully optimised on
/// first use (<see cref="MethodImplOptions.AggressiveOptimization"/>): a small network's first epochs
/// are over before tiered compilation would promote a per-row loop of library calls.
/// </summary>
internal static partial class Kernels
{
    /// <summary>Adds <paramref name="vector"/> to each of the first <paramref name="rows"/> rows of a row-major buffer.</summary>
    /// <param name="data">rows × vector.Length values, row-major; updated.</param>
    /// <param name="vector">The row to add (e.g. a bias).</param>
    /// <param name="rows">Rows.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddToRows(Span<float> data, ReadOnlySpan<float> vector, int rows)
    {
        int n = vector.Length;
        if ((long)rows * n > data.Length) throw new ArgumentException("The buffer is smaller than rows × vector length.", nameof(data));
        ref float d = ref MemoryMarshal.GetReference(data);
        ref float v = ref MemoryMarshal.GetReference(vector);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref d, (nint)r * n);
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; j <= n - 16; j += 16)
                    (Vector512.LoadUnsafe(ref row, (nuint)j) + Vector512.LoadUnsafe(ref v, (nuint)j)).StoreUnsafe(ref row, (nuint)j);
            else if (Vector256.IsHardwareAccelerated)
                for (; j <= n - 8; j += 8)
                    (Vector256.LoadUnsafe(ref row, (nuint)j) + Vector256.LoadUnsafe(ref v, (nuint)j)).StoreUnsafe(ref row, (nuint)j);
            for (; j < n; j++) Unsafe.Add(ref row, j) += Unsafe.Add(ref v, j);
        }
    }

    /// <summary>Row r ← c·row r + <paramref name="vector"/> for the first <paramref name="rows"/> rows (a neural-tangent layer's scale and bias).</summary>
    /// <param name="data">rows × vector.Length values, row-major; updated.</param>
    /// <param name="c">The factor on every value.</param>
    /// <param name="vector">The row to add after scaling.</param>
    /// <param name="rows">Rows.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleAndAddToRows(Span<float> data, float c, ReadOnlySpan<float> vector, int rows)
    {
        int n = vector.Length;
        if ((long)rows * n > data.Length) throw new ArgumentException("The buffer is smaller than rows × vector length.", nameof(data));
        ref float d = ref MemoryMarshal.GetReference(data);
        ref float v = ref MemoryMarshal.GetReference(vector);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref d, (nint)r * n);
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (var cv = Vector512.Create(c); j <= n - 16; j += 16)
                    Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)j), cv, Vector512.LoadUnsafe(ref v, (nuint)j)).StoreUnsafe(ref row, (nuint)j);
            else if (Vector256.IsHardwareAccelerated)
                for (var cv = Vector256.Create(c); j <= n - 8; j += 8)
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)j), cv, Vector256.LoadUnsafe(ref v, (nuint)j)).StoreUnsafe(ref row, (nuint)j);
            for (; j < n; j++) Unsafe.Add(ref row, j) = MathF.FusedMultiplyAdd(Unsafe.Add(ref row, j), c, Unsafe.Add(ref v, j));
        }
    }

    /// <summary>z = x ∘ y element-wise (vectorised).</summary>
    /// <param name="x">First factor.</param>
    /// <param name="y">Second factor.</param>
    /// <param name="z">Products (may alias either factor).</param>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z) => System.Numerics.Tensors.TensorPrimitives.Multiply(x, y, z);

    /// <summary>
    /// y[r, j] = x[r, j]·s[j] for the first <paramref name="rows"/> rows (row-major, s.Length columns): a per-column
    /// scale over a whole batch in one call (a narrow row is too short for a call per row to pay).
    /// </summary>
    /// <param name="x">rows × s.Length values.</param>
    /// <param name="s">The column factors.</param>
    /// <param name="y">rows × s.Length results (may be <paramref name="x"/>).</param>
    /// <param name="rows">Rows.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyRows(ReadOnlySpan<float> x, ReadOnlySpan<float> s, Span<float> y, int rows)
    {
        int n = s.Length;
        if ((long)rows * n > x.Length || (long)rows * n > y.Length) throw new ArgumentException("A buffer is smaller than rows × factors.", nameof(rows));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float f = ref MemoryMarshal.GetReference(s);
        for (int r = 0; r < rows; r++)
        {
            ref float xr = ref Unsafe.Add(ref xs, (nint)r * n);
            ref float yr = ref Unsafe.Add(ref ys, (nint)r * n);
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; j <= n - 16; j += 16)
                    (Vector512.LoadUnsafe(ref xr, (nuint)j) * Vector512.LoadUnsafe(ref f, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
            else if (Vector256.IsHardwareAccelerated)
                for (; j <= n - 8; j += 8)
                    (Vector256.LoadUnsafe(ref xr, (nuint)j) * Vector256.LoadUnsafe(ref f, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
            for (; j < n; j++) Unsafe.Add(ref yr, j) = Unsafe.Add(ref xr, j) * Unsafe.Add(ref f, j);
        }
    }

    /// <summary>
    /// acc[j] += Σ_r x[r, j]·y[r, j] over the first <paramref name="rows"/> rows: one fused multiply-add per row, in
    /// ascending r (as <see cref="MultiplyAdd"/> row after row, in one call).
    /// </summary>
    /// <param name="x">rows × acc.Length values.</param>
    /// <param name="y">rows × acc.Length values.</param>
    /// <param name="acc">Per-column sums, updated.</param>
    /// <param name="rows">Rows.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddRows(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> acc, int rows)
    {
        int n = acc.Length;
        if ((long)rows * n > x.Length || (long)rows * n > y.Length) throw new ArgumentException("A buffer is smaller than rows × sums.", nameof(rows));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float a = ref MemoryMarshal.GetReference(acc);
        for (int r = 0; r < rows; r++)
        {
            ref float xr = ref Unsafe.Add(ref xs, (nint)r * n);
            ref float yr = ref Unsafe.Add(ref ys, (nint)r * n);
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; j <= n - 16; j += 16)
                    Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)j), Vector512.LoadUnsafe(ref yr, (nuint)j), Vector512.LoadUnsafe(ref a, (nuint)j)).StoreUnsafe(ref a, (nuint)j);
            else if (Vector256.IsHardwareAccelerated)
                for (; j <= n - 8; j += 8)
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)j), Vector256.LoadUnsafe(ref yr, (nuint)j), Vector256.LoadUnsafe(ref a, (nuint)j)).StoreUnsafe(ref a, (nuint)j);
            for (; j < n; j++) Unsafe.Add(ref a, j) = MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, j), Unsafe.Add(ref yr, j), Unsafe.Add(ref a, j));
        }
    }

    /// <summary>acc += x ∘ y element-wise (vectorised; a fused multiply-add where the hardware has one).</summary>
    /// <param name="x">First factor.</param>
    /// <param name="y">Second factor.</param>
    /// <param name="acc">Accumulator, updated.</param>
    public static void MultiplyAdd(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> acc) => System.Numerics.Tensors.TensorPrimitives.FusedMultiplyAdd(x, y, acc, acc);

    /// <summary>x ← c·x (vectorised).</summary>
    /// <param name="x">Values, updated.</param>
    /// <param name="c">The factor.</param>
    public static void Scale(Span<float> x, float c) => System.Numerics.Tensors.TensorPrimitives.Multiply(x, c, x);

    /// <summary>
    /// sums[j] = Σ_r data[r, j] over the first <paramref name="rows"/> rows, summed from +0 in ascending r
    /// (overwrites <paramref name="sums"/>).
    /// </summary>
    /// <param name="data">rows × sums.Length values, row-major.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="sums">Receives the column sums.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumRows(ReadOnlySpan<float> data, int rows, Span<float> sums)
    {
        int n = sums.Length;
        if ((long)rows * n > data.Length) throw new ArgumentException("The buffer is smaller than rows × sums length.", nameof(data));
        sums.Clear();
        ref float d = ref MemoryMarshal.GetReference(data);
        ref float s = ref MemoryMarshal.GetReference(sums);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref d, (nint)r * n);
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; j <= n - 16; j += 16)
                    (Vector512.LoadUnsafe(ref s, (nuint)j) + Vector512.LoadUnsafe(ref row, (nuint)j)).StoreUnsafe(ref s, (nuint)j);
            else if (Vector256.IsHardwareAccelerated)
                for (; j <= n - 8; j += 8)
                    (Vector256.LoadUnsafe(ref s, (nuint)j) + Vector256.LoadUnsafe(ref row, (nuint)j)).StoreUnsafe(ref s, (nuint)j);
            for (; j < n; j++) Unsafe.Add(ref s, j) += Unsafe.Add(ref row, j);
        }
    }
}
