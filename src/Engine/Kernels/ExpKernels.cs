using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

/// <summary>
/// eˣ a vector at a time, inlined into the activation loops (SELU, Mish): n = round(x·log₂e), r = x − n·ln 2 (a two-part
/// ln 2, fused multiply-adds), Cephes' single-precision polynomial for eʳ on [−ln 2/2, ln 2/2], and 2ⁿ added to the
/// exponent bits — within 2 ulp for −87.3 ≤ x ≤ 88. Below −87.3 (where eˣ leaves the normal floats) it gives 0, above 88
/// +∞ (the float range ends at 88.72; the activations call it with x ≤ 20); NaN stays NaN. The runtime's Vector512.Exp computes the same but is not inlined, so in a short training run it executes
/// in its unoptimised tiers for a long time.
/// </summary>
internal static partial class Kernels
{
    private const float ExpHigh = 88f, ExpLow = -87.3365447f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f, E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;

    /// <summary>eˣ of 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        // Clamp (a NaN lane compares false both ways and stays NaN).
        var c = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(ExpHigh)), Vector512.Create(ExpHigh), x);
        c = Vector512.ConditionalSelect(Vector512.LessThan(c, Vector512.Create(ExpLow)), Vector512.Create(ExpLow), c);
        var n = Vector512.Round(c * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), c);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(E0), r, Vector512.Create(E1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        // 2ⁿ·p: add n to the exponent field (n ∈ [−126, 127] after the clamp: p·2ⁿ is a normal float).
        var scaled = (p.AsInt32() + Vector512.ShiftLeft(Vector512.ConvertToInt32(n), 23)).AsSingle();
        scaled = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(ExpHigh)), Vector512.Create(float.PositiveInfinity), scaled);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLow)), Vector512<float>.Zero, scaled);
    }

    /// <summary>eˣ of 8 lanes (the same arithmetic as the 16-lane form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Exp(Vector256<float> x)
    {
        var c = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpHigh)), Vector256.Create(ExpHigh), x);
        c = Vector256.ConditionalSelect(Vector256.LessThan(c, Vector256.Create(ExpLow)), Vector256.Create(ExpLow), c);
        var n = Vector256.Round(c * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), c);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(E0), r, Vector256.Create(E1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var scaled = (p.AsInt32() + Vector256.ShiftLeft(Vector256.ConvertToInt32(n), 23)).AsSingle();
        scaled = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpHigh)), Vector256.Create(float.PositiveInfinity), scaled);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLow)), Vector256<float>.Zero, scaled);
    }
}
