using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

/// <summary>
/// Sine and cosine together, a vector at a time, for the periodic embeddings: Cody–Waite reduction by π/2 (a two-part
/// π/2, exact products under fused multiply-add), Cephes' single-precision minimax polynomials on [−π/4, π/4], and the
/// quadrant's swap and signs — about 1e-7 absolute error for |u| ≤ <see cref="TrigFastLimit"/>. Lanes beyond that (or a
/// vector holding one) take <see cref="MathF.SinCos"/>. Several times faster than the runtime's general
/// Vector.SinCos, which must reduce any argument.
/// </summary>
internal static partial class Kernels
{
    /// <summary>The largest |u| the polynomial path takes (the reduction stays exact well beyond; the quadrant count fits easily).</summary>
    internal const float TrigFastLimit = 65536f;

    private const float TwoOverPi = 0.636619772367581343f;
    private const float PiOver2Hi = 1.57079637050628662109375f;       // float(π/2)
    private const float PiOver2Lo = -4.37113900018624283e-8f;          // π/2 − float(π/2)
    private const float S1 = -1.6666654611e-1f, S2 = 8.3321608736e-3f, S3 = -1.9515295891e-4f;
    private const float C1 = 4.166664568298827e-2f, C2 = -1.388731625493765e-3f, C3 = 2.443315711809948e-5f;

    /// <summary>(sin u, cos u) of 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector512<float> Sin, Vector512<float> Cos) SinCos(Vector512<float> u)
    {
        if (Vector512.GreaterThanAny(Vector512.Abs(u), Vector512.Create(TrigFastLimit)))
            return SinCosScalar(u);
        var j = Vector512.Round(u * Vector512.Create(TwoOverPi));
        var r = Vector512.FusedMultiplyAdd(j, Vector512.Create(-PiOver2Hi), u);
        r = Vector512.FusedMultiplyAdd(j, Vector512.Create(-PiOver2Lo), r);
        var z = r * r;
        var s = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(z, Vector512.Create(S3), Vector512.Create(S2)), z, Vector512.Create(S1)) * z, r, r);
        var c = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(z, Vector512.Create(C3), Vector512.Create(C2)), z, Vector512.Create(C1)) * z, z,
            Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), Vector512<float>.One));
        var q = Vector512.ConvertToInt32(j);
        var swap = Vector512.Equals(q & Vector512<int>.One, Vector512<int>.One).AsSingle();
        var sinNeg = (Vector512.ShiftLeft(q & Vector512.Create(2), 30)).AsSingle();                         // quadrants 2, 3
        var cosNeg = (Vector512.ShiftLeft((q + Vector512<int>.One) & Vector512.Create(2), 30)).AsSingle();  // quadrants 1, 2
        var sin = Vector512.ConditionalSelect(swap, c, s) ^ sinNeg;
        var cos = Vector512.ConditionalSelect(swap, s, c) ^ cosNeg;
        return (sin, cos);
    }

    /// <summary>(sin u, cos u) of one <see cref="Vector{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector<float> Sin, Vector<float> Cos) SinCos(Vector<float> u)
    {
        if (Vector.GreaterThanAny(Vector.Abs(u), new Vector<float>(TrigFastLimit)))
            return SinCosScalar(u);
        var j = Vector.Round(u * new Vector<float>(TwoOverPi));
        var r = Vector.FusedMultiplyAdd(j, new Vector<float>(-PiOver2Hi), u);
        r = Vector.FusedMultiplyAdd(j, new Vector<float>(-PiOver2Lo), r);
        var z = r * r;
        var s = Vector.FusedMultiplyAdd(Vector.FusedMultiplyAdd(Vector.FusedMultiplyAdd(z, new Vector<float>(S3), new Vector<float>(S2)), z, new Vector<float>(S1)) * z, r, r);
        var c = Vector.FusedMultiplyAdd(Vector.FusedMultiplyAdd(Vector.FusedMultiplyAdd(z, new Vector<float>(C3), new Vector<float>(C2)), z, new Vector<float>(C1)) * z, z,
            Vector.FusedMultiplyAdd(z, new Vector<float>(-0.5f), Vector<float>.One));
        var q = Vector.ConvertToInt32(j);
        var swap = Vector.AsVectorSingle(Vector.Equals(q & Vector<int>.One, Vector<int>.One));
        var sinNeg = Vector.AsVectorSingle(Vector.ShiftLeft(q & new Vector<int>(2), 30));
        var cosNeg = Vector.AsVectorSingle(Vector.ShiftLeft((q + Vector<int>.One) & new Vector<int>(2), 30));
        var sin = Vector.ConditionalSelect(swap, c, s) ^ sinNeg;
        var cos = Vector.ConditionalSelect(swap, s, c) ^ cosNeg;
        return (sin, cos);
    }

    private static (Vector512<float>, Vector512<float>) SinCosScalar(Vector512<float> u)
    {
        Span<float> s = stackalloc float[16], c = stackalloc float[16];
        for (int i = 0; i < 16; i++) (s[i], c[i]) = MathF.SinCos(u[i]);
        return (Vector512.Create<float>(s), Vector512.Create<float>(c));
    }

    private static (Vector<float>, Vector<float>) SinCosScalar(Vector<float> u)
    {
        Span<float> s = stackalloc float[Vector<float>.Count], c = stackalloc float[Vector<float>.Count];
        for (int i = 0; i < Vector<float>.Count; i++) (s[i], c[i]) = MathF.SinCos(u[i]);
        return (new Vector<float>(s), new Vector<float>(c));
    }
}
