namespace MLNetBackprop.Engine;

/// <summary>max(0, x); the derivative at 0 is 0, as in torch.</summary>
public sealed class ReluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public ReluLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Relu;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.ReluForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.ReluBackward(x, dy, dx);

    /// <inheritdoc />
    internal override FusedActivation Fused => FusedActivation.Relu;
}
