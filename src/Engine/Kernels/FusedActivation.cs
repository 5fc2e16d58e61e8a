using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

/// <summary>
/// The activations the scoring product applies in its own loop, before the store (<see cref="Kernels.BiasActivate"/>):
/// a layer whose activation is one of these says so (<see cref="ActivationLayer.Fused"/>); any other runs after the
/// product.
/// </summary>
internal enum FusedActivation
{
    /// <summary>None inside the product (no activation, or one that runs after it).</summary>
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    LeakyRelu,
}

/// <summary>
/// max(x, +0) with IEEE maximum semantics, as <see cref="MathF.Max(float, float)"/>: NaN stays NaN, −0 gives +0
/// (x &gt; 0 ? x : +0, except NaN, which passes through). ReLU's forward, here rather than in <see cref="ReluLayer"/>
/// because scoring fuses it into its product (<see cref="FusedActivation.Relu"/>) and kernels name no layer.
/// </summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => MathF.Max(x, 0f);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x & (Vector256.GreaterThan(x, Vector256<float>.Zero) | ~Vector256.Equals(x, x));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => x & (Vector512.GreaterThan(x, Vector512<float>.Zero) | ~Vector512.Equals(x, x));
}

/// <summary>
/// x for x &gt; 0, slope·x otherwise: leaky ReLU's forward, here for the reason <see cref="ReluOperator"/> is.
/// </summary>
/// <param name="slope">The negative slope.</param>
internal readonly struct LeakyReluOperator(float slope) : IUnaryOperator
{
    // Broadcast once per call, not per vector.
    private readonly Vector256<float> _slope256 = Vector256.Create(slope);
    private readonly Vector512<float> _slope512 = Vector512.Create(slope);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x > 0f ? x : slope * x;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, _slope256 * x);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, _slope512 * x);
}
