namespace MLNetBackprop.Engine;

/// <summary>SiLU (swish) x·σ(x).</summary>
public sealed class SiluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SiluLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Silu;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.SiluForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.SiluBackward(x, dy, dx);
}
