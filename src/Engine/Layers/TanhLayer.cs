using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>tanh(x); the derivative is taken from the saved output, 1 − y², as torch does.</summary>
public sealed class TanhLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public TanhLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Tanh;

    /// <inheritdoc />
    public override double Reference(double x) => Math.Tanh(x);

    /// <summary>tanh′(x) = 1 − y² with y = tanh(x), from the output as torch computes it.</summary>
    /// <param name="x">Input.</param>
    public override double ReferenceDerivative(double x)
    {
        double y = Math.Tanh(x);
        return 1.0 - y * y;
    }

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.TanhForward(x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.Map(new BackwardOperator(), y, dy, dx);

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.XavierUniform;

    /// <summary>torch's 5/3.</summary>
    internal override double InitGain => 5.0 / 3.0;

    /// <inheritdoc />
    internal override double OutputBound(double inputBound) => 1;

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Unary("Tanh", x);

    /// <summary>dx = dy·(1 − y²), from the saved output y.</summary>
    private readonly struct BackwardOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float y, float dy) => dy * (1f - y * y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (Vector512<float>.One - y * y);
    }
}
