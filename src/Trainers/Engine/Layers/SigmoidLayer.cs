namespace MLNetBackprop.Engine;

/// <summary>Logistic sigmoid 1/(1 + e⁻ˣ); backward uses the saved output: dy·y·(1 − y).</summary>
public sealed class SigmoidLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SigmoidLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Sigmoid;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.SigmoidForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.SigmoidBackward(y, dy, dx);
}
