using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>The identity: copies its input (so the returned matrix is the layer's own, as the Layer contract requires).</summary>
public sealed class IdentityLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public IdentityLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Identity;

    /// <inheritdoc />
    public override double Reference(double x) => x;

    /// <inheritdoc />
    public override double ReferenceDerivative(double x) => 1.0;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => x.CopyTo(y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => dy.CopyTo(dx);

    /// <inheritdoc />
    internal override bool ScoresItself => false;

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.XavierUniform;

    /// <inheritdoc />
    internal override double InitGain => 1.0;

    /// <inheritdoc />
    internal override double OutputBound(double inputBound) => inputBound;

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => x;
}
