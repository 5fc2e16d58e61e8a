using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>SELU λ·x for x &gt; 0, λ·α·(eˣ − 1) otherwise (torch.nn.SELU): self-normalising with LeCun-normal weights.</summary>
public sealed class SeluLayer : ActivationLayer
{
    /// <summary>SELU's α (torch.nn.SELU; Klambauer et al. 2017).</summary>
    public const double Alpha = 1.6732632423543772848170429916717;

    /// <summary>SELU's scale λ (torch.nn.SELU).</summary>
    public const double Scale = 1.0507009873554804934193349852946;

    private const float ScaleF = (float)Scale;
    private const float ScaleAlphaF = (float)(Scale * Alpha);

    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SeluLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Selu;

    /// <inheritdoc />
    public override double Reference(double x) => Scale * (x > 0 ? x : Alpha * ScalarMath.ExpMinusOne(x));

    /// <summary>λ for x &gt; 0, λ·α·eˣ for x ≤ 0 (torch's branch, as ELU).</summary>
    /// <param name="x">Input.</param>
    public override double ReferenceDerivative(double x) => x > 0 ? Scale : Scale * Alpha * Math.Exp(x);

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.Map(new ForwardOperator(), x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.Map(new BackwardOperator(), x, dy, dx);

    /// <summary>LeCun normal: the self-normalising fixed point needs Var(w) = 1/fan_in.</summary>
    internal override WeightInit AutoInit => WeightInit.LeCunNormal;

    /// <summary>torch's 3/4 (calculate_gain('selu')).</summary>
    internal override double InitGain => 0.75;

    /// <summary>λ·max(|x|, α).</summary>
    internal override double OutputBound(double inputBound) => Scale * Math.Max(inputBound, Alpha);

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x)
        => graph.Unary("Selu", x, attributes: new OnnxAttributes().Float("alpha", (float)Alpha).Float("gamma", (float)Scale));

    /// <summary>λ·x for x ≥ 0 (so SELU(0) is exactly 0), λ·α·(eˣ − 1) otherwise, with the kernels' vector eˣ.</summary>
    private readonly struct ForwardOperator : IUnaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => x >= 0f ? ScaleF * x : ScaleAlphaF * (MathF.Exp(x) - 1f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x)
        {
            var negative = Vector256.Create(ScaleAlphaF) * (Kernels.Exp(Vector256.Min(x, Vector256<float>.Zero)) - Vector256<float>.One);
            return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256.Create(ScaleF) * x, negative);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x)
        {
            var negative = Vector512.Create(ScaleAlphaF) * (Kernels.Exp(Vector512.Min(x, Vector512<float>.Zero)) - Vector512<float>.One);
            return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), Vector512.Create(ScaleF) * x, negative);
        }
    }

    /// <summary>dx = dy·λ for x &gt; 0, dy·λ·α·eˣ otherwise.</summary>
    private readonly struct BackwardOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float dy) => dy * (x > 0f ? ScaleF : ScaleAlphaF * MathF.Exp(x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
            => dy * Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256.Create(ScaleF),
                Vector256.Create(ScaleAlphaF) * Kernels.Exp(Vector256.Min(x, Vector256<float>.Zero)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
            => dy * Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512.Create(ScaleF),
                Vector512.Create(ScaleAlphaF) * Kernels.Exp(Vector512.Min(x, Vector512<float>.Zero)));
    }
}
