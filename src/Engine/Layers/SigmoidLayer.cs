using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>σ(x) = 1/(1 + e⁻ˣ); the derivative is taken from the saved output, σ·(1 − σ), as torch does.</summary>
public sealed class SigmoidLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SigmoidLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Sigmoid;

    /// <inheritdoc />
    public override double Reference(double x) => ScalarMath.Sigmoid(x);

    /// <summary>σ′(x) = y·(1 − y) with y = σ(x), from the output as torch computes it.</summary>
    /// <param name="x">Input.</param>
    public override double ReferenceDerivative(double x)
    {
        double y = ScalarMath.Sigmoid(x);
        return y * (1.0 - y);
    }

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.SigmoidForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.Map(new BackwardOperator(), y, dy, dx);

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.XavierUniform;

    /// <inheritdoc />
    internal override double InitGain => 1.0;

    /// <inheritdoc />
    internal override double OutputBound(double inputBound) => 1;

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Unary("Sigmoid", x);

    /// <summary>dx = dy·y·(1 − y), from the saved output y.</summary>
    private readonly struct BackwardOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float y, float dy) => dy * (y * (1f - y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (y * (Vector256<float>.One - y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (y * (Vector512<float>.One - y));
    }
}
