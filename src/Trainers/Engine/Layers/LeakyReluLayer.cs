namespace MLNetBackprop.Engine;

/// <summary>Leaky ReLU: x for x &gt; 0, slope·x otherwise; the derivative at 0 is the slope (torch: x &gt; 0 ? 1 : slope).</summary>
public sealed class LeakyReluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    /// <param name="slope">Negative slope (torch's default 0.01).</param>
    public LeakyReluLayer(int width, float slope = 0.01f) : base(width)
    {
        if (!float.IsFinite(slope)) throw new ArgumentOutOfRangeException(nameof(slope), slope, "The slope must be finite.");
        Slope = slope;
    }

    /// <summary>The negative slope.</summary>
    public float Slope { get; }

    /// <inheritdoc />
    public override Activation Function => Activation.LeakyRelu;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.LeakyReluForward(x, Slope, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.LeakyReluBackward(x, dy, Slope, dx);

    /// <inheritdoc />
    internal override FusedActivation Fused => FusedActivation.LeakyRelu;
}
