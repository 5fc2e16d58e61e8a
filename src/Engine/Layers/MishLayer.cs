using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>
/// Mish x·tanh(softplus(x)) (torch.nn.Mish): smooth, ReLU-like for large x, slightly negative below 0. Computed as
/// tanh(log(1 + eˣ)) = n/(n + 2) with n = eˣ·(eˣ + 2): exact algebra that needs one exponential and never overflows.
/// </summary>
public sealed class MishLayer : ActivationLayer
{
    /// <summary>The largest x whose eˣ the float32 forms take; tanh(softplus(x)) is 1 in float well before it.</summary>
    private const float ExpCap = 20f;

    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public MishLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Mish;

    /// <inheritdoc />
    public override double Reference(double x) => x * TanhSoftplus(x);

    /// <summary>tanh(sp(x)) + x·σ(x)·(1 − tanh²(sp(x))), sp = softplus.</summary>
    /// <param name="x">Input.</param>
    public override double ReferenceDerivative(double x)
    {
        double t = TanhSoftplus(x);
        return t + x * ScalarMath.Sigmoid(x) * (1.0 - t * t);
    }

    /// <summary>tanh(log(1 + eˣ)) in float64 (eˣ capped at e²⁰, where the ratio is already 1 in double to 2e−18).</summary>
    private static double TanhSoftplus(double x)
    {
        if (x > 20) return 1.0;
        double e = Math.Exp(x), n = e * (e + 2.0);
        return n / (n + 2.0);
    }

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.Map(new ForwardOperator(), x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.Map(new BackwardOperator(), x, dy, dx);

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.HeNormal;

    /// <summary>ReLU's √2 (torch has no gain for Mish; it behaves like ReLU for positive inputs).</summary>
    internal override double InitGain => Math.Sqrt(2.0);

    /// <summary>|x|: Mish stays within ±|x|.</summary>
    internal override double OutputBound(double inputBound) => inputBound;

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Mul(x, graph.Unary("Tanh", graph.Unary("Softplus", x)));

    /// <summary>y = x·n/(n + 2), n = eˣ(eˣ + 2), one vector eˣ capped at e²⁰ (x and y may alias).</summary>
    private readonly struct ForwardOperator : IUnaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x)
        {
            float e = MathF.Exp(MathF.Min(x, ExpCap)), q = e * (e + 2f);
            return x * (q / (q + 2f));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x)
        {
            var two = Vector256.Create(2f);
            var e = Kernels.Exp(Vector256.Min(x, Vector256.Create(ExpCap)));
            var q = e * (e + two);
            return x * (q / (q + two));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x)
        {
            var two = Vector512.Create(2f);
            var e = Kernels.Exp(Vector512.Min(x, Vector512.Create(ExpCap)));
            var q = e * (e + two);
            return x * (q / (q + two));
        }
    }

    /// <summary>dx = dy·(t + x·σ(x)·(1 − t²)), t = n/(n + 2), σ(x) = eˣ/(1 + eˣ).</summary>
    private readonly struct BackwardOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float dy)
        {
            float e = MathF.Exp(MathF.Min(x, ExpCap)), q = e * (e + 2f), t = q / (q + 2f), s = e / (e + 1f);
            return dy * (t + x * s * (1f - t * t));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            var two = Vector256.Create(2f);
            var e = Kernels.Exp(Vector256.Min(x, Vector256.Create(ExpCap)));
            var q = e * (e + two);
            var t = q / (q + two);
            var s = e / (e + Vector256<float>.One);
            return dy * (t + x * s * (Vector256<float>.One - t * t));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            var two = Vector512.Create(2f);
            var e = Kernels.Exp(Vector512.Min(x, Vector512.Create(ExpCap)));
            var q = e * (e + two);
            var t = q / (q + two);
            var s = e / (e + Vector512<float>.One);
            return dy * (t + x * s * (Vector512<float>.One - t * t));
        }
    }
}
