namespace MLNetBackprop.Engine;

/// <summary>Mish x·tanh(softplus(x)) (torch.nn.Mish): smooth, ReLU-like for large x, slightly negative below 0.</summary>
public sealed class MishLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public MishLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Mish;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.MishForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.MishBackward(x, dy, dx);
}
