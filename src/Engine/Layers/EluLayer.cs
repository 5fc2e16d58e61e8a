using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>ELU: x for x &gt; 0, α·(eˣ − 1) otherwise; the derivative for x ≤ 0 is α·eˣ (torch's branch). Computed in float64 for an accurate eˣ − 1.</summary>
public sealed class EluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    /// <param name="alpha">α (torch's default 1).</param>
    public EluLayer(int width, float alpha = 1f) : base(width)
    {
        if (!float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be finite.");
        Alpha = alpha;
    }

    /// <summary>α.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    public override Activation Function => Activation.Elu;

    /// <inheritdoc />
    public override double Reference(double x) => new Value(Alpha).Invoke(x);

    /// <inheritdoc />
    public override double ReferenceDerivative(double x) => new Slope(Alpha).Invoke(x);

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.MapInDouble(new Value(Alpha), x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        => Kernels.MultiplyByDerivativeInDouble(new Slope(Alpha), x, dy, dx);

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.HeNormal;

    /// <summary>ReLU's √2 (torch has no gain for ELU; it behaves like ReLU for positive inputs).</summary>
    internal override double InitGain => Math.Sqrt(2.0);

    /// <summary>max(|x|, |α|): α·(eˣ − 1) lies between −α and 0.</summary>
    internal override double OutputBound(double inputBound) => Math.Max(inputBound, Math.Abs((double)Alpha));

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Unary("Elu", x, attributes: new OnnxAttributes().Float("alpha", Alpha));

    private readonly struct Value(double alpha) : IDoubleFunction
    {
        public double Invoke(double x) => x > 0 ? x : alpha * ScalarMath.ExpMinusOne(x);
    }

    private readonly struct Slope(double alpha) : IDoubleFunction
    {
        public double Invoke(double x) => x > 0 ? 1.0 : alpha * Math.Exp(x);
    }
}
