namespace MLNetBackprop.Engine;

/// <summary>GELU x·Φ(x): exact (erf, computed in float64) or torch's tanh approximation.</summary>
public sealed class GeluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    /// <param name="approximateTanh">Use ½x(1 + tanh(√(2/π)(x + 0.044715x³))) instead of the exact form.</param>
    public GeluLayer(int width, bool approximateTanh = false) : base(width) => ApproximateTanh = approximateTanh;

    /// <summary>True for the tanh approximation, false for the exact erf form.</summary>
    public bool ApproximateTanh { get; }

    /// <inheritdoc />
    public override Activation Function => ApproximateTanh ? Activation.GeluTanh : Activation.Gelu;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.GeluForward(x, ApproximateTanh, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.GeluBackward(x, dy, ApproximateTanh, dx);
}
