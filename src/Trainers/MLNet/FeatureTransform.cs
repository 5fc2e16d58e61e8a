using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MLNetBackprop.Engine;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>
/// The per-feature map in front of the network, x = clip((raw − offset) · scale): the one place it is computed, for
/// training rows in memory, streamed rows and scored rows alike. Offsets and scales come from
/// <see cref="FeatureNormalization"/> (mean and 1/σ, or median and 1/IQR); clip is the identity or, for robust
/// scaling, the smooth clip v/√(1 + (v/3)²).
/// </summary>
internal sealed class FeatureTransform
{
    /// <summary>
    /// Values are clamped to ±1e20 (10^20 scales from the offset) before the network: a raw feature near
    /// ±<see cref="float.MaxValue"/> would otherwise overflow to ±∞ and turn into NaN (∞ − ∞) in the first layer.
    /// Below that no real input is affected; NaN inputs still give NaN.
    /// </summary>
    internal const float InputClamp = 1e20f;

    /// <summary>The smooth clip's input is first clamped here: beyond, v/√(1 + (v/3)²) is ±3 to float precision, and (v/3)² cannot overflow.</summary>
    private const float ClipInputClamp = 1e6f;

    public FeatureTransform(float[] offsets, float[] scales, bool smoothClip)
    {
        if (offsets.Length != scales.Length) throw new ArgumentException($"{offsets.Length} offsets but {scales.Length} scales.", nameof(scales));
        Offsets = offsets;
        Scales = scales;
        SmoothClip = smoothClip;
    }

    /// <summary>No normalisation: offsets 0, scales 1, no clip.</summary>
    public static FeatureTransform Identity(int features) => new(new float[features], Enumerable.Repeat(1f, features).ToArray(), smoothClip: false);

    /// <summary>Subtracted from each raw feature (mean or median).</summary>
    public float[] Offsets { get; }

    /// <summary>Multiplies each centred feature (1/σ, 1/IQR, or 0 for a constant robust-scaled feature).</summary>
    public float[] Scales { get; }

    /// <summary>True when the smooth clip v/√(1 + (v/3)²) follows the scaling.</summary>
    public bool SmoothClip { get; }

    /// <summary>Number of features.</summary>
    public int Count => Offsets.Length;

    /// <summary>The largest magnitude of a transformed feature: 3 after the smooth clip, else the clamp.</summary>
    public double OutputBound => SmoothClip ? 3 : InputClamp;

    /// <summary>x = clip(clamp((raw − offset)·scale, ±<see cref="InputClamp"/>)); NaN passes through.</summary>
    /// <param name="raw">Count raw values.</param>
    /// <param name="x">Receives Count values (may alias <paramref name="raw"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    public void Apply(ReadOnlySpan<float> raw, Span<float> x)
    {
        int n = Count, i = 0;
        if (raw.Length < n || x.Length < n) throw new ArgumentException($"Expected {n} features.");
        if (Vector256.IsHardwareAccelerated)
        {
            var hi = Vector256.Create(SmoothClip ? ClipInputClamp : InputClamp);
            var lo = -hi;
            var ninth = Vector256.Create(1f / 9f);
            var f = MemoryMarshal.Cast<float, Vector256<float>>(raw[..n]);
            var m = MemoryMarshal.Cast<float, Vector256<float>>(Offsets.AsSpan());
            var s = MemoryMarshal.Cast<float, Vector256<float>>(Scales.AsSpan());
            var d = MemoryMarshal.Cast<float, Vector256<float>>(x[..n]);
            for (int k = 0; k < d.Length; k++)
            {
                var v = (f[k] - m[k]) * s[k];
                v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, hi), hi, Vector256.ConditionalSelect(Vector256.LessThan(v, lo), lo, v));
                if (SmoothClip) v /= Vector256.Sqrt(Vector256<float>.One + v * v * ninth);
                d[k] = v;
            }
            i = d.Length * Vector256<float>.Count;
        }
        for (; i < n; i++) x[i] = One(raw[i], i);
    }

    private float One(float raw, int i)
    {
        float v = (raw - Offsets[i]) * Scales[i];
        float limit = SmoothClip ? ClipInputClamp : InputClamp;
        v = v > limit ? limit : v < -limit ? -limit : v; // NaN passes through
        return SmoothClip ? v / MathF.Sqrt(1f + v * v * (1f / 9f)) : v;
    }

    /// <summary>Adds this map's nodes to an ONNX graph: Sub, Mul, Clip to the clamp, then the smooth clip's v/√(1 + v²/9) when on.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="raw">The raw features, [rows, Count].</param>
    /// <returns>The network's input, [rows, Count].</returns>
    public string ExportOnnx(OnnxGraph graph, string raw)
    {
        string v = graph.Mul(graph.Sub(raw, graph.Constant(Offsets, 1, Count)), graph.Constant(Scales, 1, Count), "features.scaled");
        float limit = SmoothClip ? ClipInputClamp : InputClamp;
        v = graph.Node("Clip", [v, graph.Constant([-limit]), graph.Constant([limit])], "features.clamped");
        if (!SmoothClip) return v;
        string denominator = graph.Unary("Sqrt", graph.Add(graph.Scalar(1f), graph.Mul(graph.Mul(v, v), graph.Scalar(1f / 9f))));
        return graph.Div(v, denominator, "features.clipped");
    }

    /// <summary>Applies the map to every row of <paramref name="x"/>, in place.</summary>
    /// <param name="x">Rows × Count raw features.</param>
    public void ApplyInPlace(Matrix x)
    {
        for (int r = 0; r < x.Rows; r++) Apply(x.Row(r), x.Row(r));
    }
}
