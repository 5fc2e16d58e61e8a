using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>GELU x·Φ(x): exact (erf) or torch's tanh approximation, computed in float64.</summary>
public sealed class GeluLayer : ActivationLayer
{
    private const double InvSqrt2Pi = 0.39894228040143267794;
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double Cubic = 0.044715;

    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    /// <param name="approximateTanh">Use ½x(1 + tanh(√(2/π)(x + 0.044715x³))) instead of the exact form.</param>
    public GeluLayer(int width, bool approximateTanh = false) : base(width) => ApproximateTanh = approximateTanh;

    /// <summary>True for the tanh approximation, false for the exact erf form.</summary>
    public bool ApproximateTanh { get; }

    /// <inheritdoc />
    public override Activation Function => ApproximateTanh ? Activation.GeluTanh : Activation.Gelu;

    /// <inheritdoc />
    public override double Reference(double x) => ApproximateTanh ? new TanhValue().Invoke(x) : new Value().Invoke(x);

    /// <inheritdoc />
    public override double ReferenceDerivative(double x) => ApproximateTanh ? new TanhSlope().Invoke(x) : new Slope().Invoke(x);

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (ApproximateTanh) Kernels.MapInDouble(new TanhValue(), x, y);
        else Kernels.MapInDouble(new Value(), x, y);
    }

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (ApproximateTanh) Kernels.MultiplyByDerivativeInDouble(new TanhSlope(), x, dy, dx);
        else Kernels.MultiplyByDerivativeInDouble(new Slope(), x, dy, dx);
    }

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.HeNormal;

    /// <summary>ReLU's √2 (torch has no gain for GELU; it behaves like ReLU for positive inputs).</summary>
    internal override double InitGain => Math.Sqrt(2.0);

    /// <summary>|x|: GELU stays within ±|x|.</summary>
    internal override double OutputBound(double inputBound) => inputBound;

    /// <summary>x·½·(1 + erf(x/√2)), or ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    internal override string ExportOnnx(IOnnxGraph graph, string x) => ApproximateTanh
        ? graph.Mul(graph.Mul(x, graph.Scalar(0.5f)), graph.Add(graph.Scalar(1f), graph.Unary("Tanh",
            graph.Mul(graph.Scalar((float)Math.Sqrt(2 / Math.PI)), graph.Add(x, graph.Mul(graph.Scalar(0.044715f), graph.Mul(x, graph.Mul(x, x))))))))
        : graph.Mul(graph.Mul(x, graph.Scalar(0.5f)),
            graph.Add(graph.Unary("Erf", graph.Mul(x, graph.Scalar((float)(1 / Math.Sqrt(2))))), graph.Scalar(1f)));

    /// <summary>x·Φ(x), Φ through erfc so the left tail is not lost to cancellation.</summary>
    private readonly struct Value : IDoubleFunction
    {
        public double Invoke(double x) => x * ScalarMath.NormalCdf(x);
    }

    /// <summary>Φ(x) + x·φ(x).</summary>
    private readonly struct Slope : IDoubleFunction
    {
        public double Invoke(double x) => ScalarMath.NormalCdf(x) + x * InvSqrt2Pi * Math.Exp(-0.5 * x * x);
    }

    /// <summary>½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    private readonly struct TanhValue : IDoubleFunction
    {
        public double Invoke(double x)
        {
            double t = Math.Tanh(SqrtTwoOverPi * (x + Cubic * x * x * x));
            return 0.5 * x * (1.0 + t);
        }
    }

    private readonly struct TanhSlope : IDoubleFunction
    {
        public double Invoke(double x)
        {
            double t = Math.Tanh(SqrtTwoOverPi * (x + Cubic * x * x * x));
            return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SqrtTwoOverPi * (1.0 + 3.0 * Cubic * x * x);
        }
    }
}
