namespace MLNetBackprop.Engine;

/// <summary>Hyperbolic tangent; backward uses the saved output: dy·(1 − y²).</summary>
public sealed class TanhLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public TanhLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Tanh;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.TanhForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.TanhBackward(y, dy, dx);
}
