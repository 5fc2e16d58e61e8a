using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>max(0, x); the derivative at 0 is 0, as in torch.</summary>
public sealed class ReluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public ReluLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Relu;

    /// <inheritdoc />
    public override double Reference(double x) => x > 0 ? x : 0.0;

    /// <inheritdoc />
    public override double ReferenceDerivative(double x) => x > 0 ? 1.0 : 0.0;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.Map(new ReluOperator(), x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.Map(new BackwardOperator(), x, dy, dx);

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.HeNormal;

    /// <inheritdoc />
    internal override double InitGain => Math.Sqrt(2.0);

    /// <inheritdoc />
    internal override double OutputBound(double inputBound) => inputBound;

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Unary("Relu", x);

    /// <inheritdoc />
    internal override FusedActivation Fused => FusedActivation.Relu;

    /// <summary>
    /// dx = dy where x &gt; 0, else 0, branch-free: with real data the sign of x is unpredictable, and a branch per
    /// element costs as much as the layer's products (x &gt; 0 is false for NaN, as in the scalar form).
    /// </summary>
    private readonly struct BackwardOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float dy) => x > 0f ? dy : 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => dy & Vector256.GreaterThan(x, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => dy & Vector512.GreaterThan(x, Vector512<float>.Zero);
    }
}
