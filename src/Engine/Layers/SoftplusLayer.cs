using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>log(1 + eˣ) with torch's defaults β = 1 and threshold 20 (x itself, slope 1, for x &gt; 20); computed in float64.</summary>
public sealed class SoftplusLayer : ActivationLayer
{
    /// <summary>Above this x the function is taken as linear (torch's threshold).</summary>
    private const double Threshold = 20.0;

    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SoftplusLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Softplus;

    /// <inheritdoc />
    public override double Reference(double x) => new Value().Invoke(x);

    /// <summary>σ(x) where the function is smooth, 1 in the linear regime x &gt; 20.</summary>
    /// <param name="x">Input.</param>
    public override double ReferenceDerivative(double x) => new Slope().Invoke(x);

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.MapInDouble(new Value(), x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        => Kernels.MultiplyByDerivativeInDouble(new Slope(), x, dy, dx);

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.HeNormal;

    /// <summary>ReLU's √2 (torch has no gain for softplus; it behaves like ReLU for positive inputs).</summary>
    internal override double InitGain => Math.Sqrt(2.0);

    /// <summary>|x| + ln 2.</summary>
    internal override double OutputBound(double inputBound) => inputBound + Math.Log(2);

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Unary("Softplus", x);

    /// <summary>log1p keeps the tiny values of the far left tail exact; eˣ ≤ e²⁰ cannot overflow.</summary>
    private readonly struct Value : IDoubleFunction
    {
        public double Invoke(double x) => x > Threshold ? x : ScalarMath.LogOnePlus(Math.Exp(x));
    }

    private readonly struct Slope : IDoubleFunction
    {
        public double Invoke(double x) => x > Threshold ? 1.0 : ScalarMath.Sigmoid(x);
    }
}
