namespace MLNetBackprop.Engine;

/// <summary>log(1 + eˣ) with torch's defaults β = 1 and threshold 20 (x itself, slope 1, for x &gt; 20).</summary>
public sealed class SoftplusLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SoftplusLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Softplus;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.SoftplusForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.SoftplusBackward(x, dy, dx);
}
