namespace MLNetBackprop.Engine;

/// <summary>SELU λ·x for x &gt; 0, λ·α·(eˣ − 1) otherwise (torch.nn.SELU): self-normalising with LeCun-normal weights.</summary>
public sealed class SeluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SeluLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Selu;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.SeluForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.SeluBackward(x, dy, dx);
}
