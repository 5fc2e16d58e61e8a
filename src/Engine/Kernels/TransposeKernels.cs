using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MLNetBackprop.Engine;

/// <summary>A 16 × 16 block of floats transposed in 512-bit registers (rows across lanes ↔ columns across lanes).</summary>
internal static unsafe class TransposeKernels
{
    /// <summary>Whether <see cref="Transpose16x16"/> runs here (AVX-512F).</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// destination[c·16 + r] = source[r·<paramref name="stride"/> + c] for r, c in [0, 16): four rounds of interleaves
    /// (32-bit, 64-bit, then 128-bit lanes twice), 64 shuffles for 256 values.
    /// </summary>
    /// <param name="source">Row 0 of the block; row r starts <paramref name="stride"/>·r floats further.</param>
    /// <param name="stride">Floats between rows of the source.</param>
    /// <param name="destination">Receives the 16 columns, each 16 contiguous floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose16x16(float* source, nint stride, float* destination)
    {
        var a0 = Avx512F.LoadVector512(source); var a1 = Avx512F.LoadVector512(source + stride);
        var a2 = Avx512F.LoadVector512(source + 2 * stride); var a3 = Avx512F.LoadVector512(source + 3 * stride);
        var a4 = Avx512F.LoadVector512(source + 4 * stride); var a5 = Avx512F.LoadVector512(source + 5 * stride);
        var a6 = Avx512F.LoadVector512(source + 6 * stride); var a7 = Avx512F.LoadVector512(source + 7 * stride);
        var a8 = Avx512F.LoadVector512(source + 8 * stride); var a9 = Avx512F.LoadVector512(source + 9 * stride);
        var a10 = Avx512F.LoadVector512(source + 10 * stride); var a11 = Avx512F.LoadVector512(source + 11 * stride);
        var a12 = Avx512F.LoadVector512(source + 12 * stride); var a13 = Avx512F.LoadVector512(source + 13 * stride);
        var a14 = Avx512F.LoadVector512(source + 14 * stride); var a15 = Avx512F.LoadVector512(source + 15 * stride);

        // 32-bit interleave of row pairs.
        var t0 = Avx512F.UnpackLow(a0, a1); var t1 = Avx512F.UnpackHigh(a0, a1);
        var t2 = Avx512F.UnpackLow(a2, a3); var t3 = Avx512F.UnpackHigh(a2, a3);
        var t4 = Avx512F.UnpackLow(a4, a5); var t5 = Avx512F.UnpackHigh(a4, a5);
        var t6 = Avx512F.UnpackLow(a6, a7); var t7 = Avx512F.UnpackHigh(a6, a7);
        var t8 = Avx512F.UnpackLow(a8, a9); var t9 = Avx512F.UnpackHigh(a8, a9);
        var t10 = Avx512F.UnpackLow(a10, a11); var t11 = Avx512F.UnpackHigh(a10, a11);
        var t12 = Avx512F.UnpackLow(a12, a13); var t13 = Avx512F.UnpackHigh(a12, a13);
        var t14 = Avx512F.UnpackLow(a14, a15); var t15 = Avx512F.UnpackHigh(a14, a15);

        // 64-bit interleave of pairs of pairs: each 128-bit lane now holds one column of four rows.
        var u0 = Lo64(t0, t2); var u1 = Hi64(t0, t2); var u2 = Lo64(t1, t3); var u3 = Hi64(t1, t3);
        var u4 = Lo64(t4, t6); var u5 = Hi64(t4, t6); var u6 = Lo64(t5, t7); var u7 = Hi64(t5, t7);
        var u8 = Lo64(t8, t10); var u9 = Hi64(t8, t10); var u10 = Lo64(t9, t11); var u11 = Hi64(t9, t11);
        var u12 = Lo64(t12, t14); var u13 = Hi64(t12, t14); var u14 = Lo64(t13, t15); var u15 = Hi64(t13, t15);

        // 128-bit lanes: gather the four-row pieces of each column.
        var v0 = Avx512F.Shuffle4x128(u0, u4, 0x88); var v1 = Avx512F.Shuffle4x128(u1, u5, 0x88);
        var v2 = Avx512F.Shuffle4x128(u2, u6, 0x88); var v3 = Avx512F.Shuffle4x128(u3, u7, 0x88);
        var v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD); var v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        var v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD); var v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        var v8 = Avx512F.Shuffle4x128(u8, u12, 0x88); var v9 = Avx512F.Shuffle4x128(u9, u13, 0x88);
        var v10 = Avx512F.Shuffle4x128(u10, u14, 0x88); var v11 = Avx512F.Shuffle4x128(u11, u15, 0x88);
        var v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD); var v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        var v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD); var v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        Avx512F.Store(destination + 0 * 16, Avx512F.Shuffle4x128(v0, v8, 0x88));
        Avx512F.Store(destination + 1 * 16, Avx512F.Shuffle4x128(v1, v9, 0x88));
        Avx512F.Store(destination + 2 * 16, Avx512F.Shuffle4x128(v2, v10, 0x88));
        Avx512F.Store(destination + 3 * 16, Avx512F.Shuffle4x128(v3, v11, 0x88));
        Avx512F.Store(destination + 4 * 16, Avx512F.Shuffle4x128(v4, v12, 0x88));
        Avx512F.Store(destination + 5 * 16, Avx512F.Shuffle4x128(v5, v13, 0x88));
        Avx512F.Store(destination + 6 * 16, Avx512F.Shuffle4x128(v6, v14, 0x88));
        Avx512F.Store(destination + 7 * 16, Avx512F.Shuffle4x128(v7, v15, 0x88));
        Avx512F.Store(destination + 8 * 16, Avx512F.Shuffle4x128(v0, v8, 0xDD));
        Avx512F.Store(destination + 9 * 16, Avx512F.Shuffle4x128(v1, v9, 0xDD));
        Avx512F.Store(destination + 10 * 16, Avx512F.Shuffle4x128(v2, v10, 0xDD));
        Avx512F.Store(destination + 11 * 16, Avx512F.Shuffle4x128(v3, v11, 0xDD));
        Avx512F.Store(destination + 12 * 16, Avx512F.Shuffle4x128(v4, v12, 0xDD));
        Avx512F.Store(destination + 13 * 16, Avx512F.Shuffle4x128(v5, v13, 0xDD));
        Avx512F.Store(destination + 14 * 16, Avx512F.Shuffle4x128(v6, v14, 0xDD));
        Avx512F.Store(destination + 15 * 16, Avx512F.Shuffle4x128(v7, v15, 0xDD));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lo64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Hi64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
}
