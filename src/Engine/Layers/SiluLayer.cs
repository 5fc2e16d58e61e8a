using System.Numerics.Tensors;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>SiLU (swish) x·σ(x).</summary>
public sealed class SiluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SiluLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Silu;

    /// <inheritdoc />
    public override double Reference(double x) => x * ScalarMath.Sigmoid(x);

    /// <summary>σ(x)·(1 + x·(1 − σ(x))).</summary>
    /// <param name="x">Input.</param>
    public override double ReferenceDerivative(double x) => new Slope().Invoke(x);

    /// <summary>A vectorised sigmoid, then a product (y must not alias x).</summary>
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        Kernels.SigmoidForward(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        => Kernels.MultiplyByDerivativeInDouble(new Slope(), x, dy, dx);

    /// <summary>
    /// Scoring has always computed x·1/(1 + e⁻ˣ) one value at a time with <see cref="MathF.Exp"/> (not the vectorised
    /// sigmoid training uses): kept, so models saved by earlier releases serve the same scores bit for bit.
    /// </summary>
    /// <param name="values">Pre-activations in, activations out.</param>
    internal override void ScoreInPlace(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] *= 1f / (1f + MathF.Exp(-values[i]));
    }

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.HeNormal;

    /// <summary>ReLU's √2 (torch has no gain for SiLU; it behaves like ReLU for positive inputs).</summary>
    internal override double InitGain => Math.Sqrt(2.0);

    /// <summary>|x|: x·σ(x) stays within ±|x|.</summary>
    internal override double OutputBound(double inputBound) => inputBound;

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Mul(x, graph.Unary("Sigmoid", x));

    private readonly struct Slope : IDoubleFunction
    {
        public double Invoke(double x)
        {
            double s = ScalarMath.Sigmoid(x);
            return s * (1.0 + x * (1.0 - s));
        }
    }
}
