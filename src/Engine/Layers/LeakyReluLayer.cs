using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>Leaky ReLU: x for x &gt; 0, slope·x otherwise; the derivative at 0 is the slope (torch: x &gt; 0 ? 1 : slope).</summary>
public sealed class LeakyReluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    /// <param name="slope">Negative slope (torch's default 0.01).</param>
    public LeakyReluLayer(int width, float slope = 0.01f) : base(width)
    {
        if (!float.IsFinite(slope)) throw new ArgumentOutOfRangeException(nameof(slope), slope, "The slope must be finite.");
        Slope = slope;
    }

    /// <summary>The negative slope.</summary>
    public float Slope { get; }

    /// <inheritdoc />
    public override Activation Function => Activation.LeakyRelu;

    /// <inheritdoc />
    public override double Reference(double x) => x > 0 ? x : Slope * x;

    /// <inheritdoc />
    public override double ReferenceDerivative(double x) => x > 0 ? 1.0 : Slope;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.Map(new LeakyReluOperator(Slope), x, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        => Kernels.Map(new BackwardOperator(Slope), x, dy, dx);

    /// <inheritdoc />
    internal override WeightInit AutoInit => WeightInit.HeNormal;

    /// <summary>torch's √(2/(1 + a²)) for slope a.</summary>
    internal override double InitGain => Math.Sqrt(2.0 / (1.0 + (double)Slope * Slope));

    /// <inheritdoc />
    internal override double OutputBound(double inputBound) => Math.Max(1, (double)Slope) * inputBound;

    /// <inheritdoc />
    internal override string ExportOnnx(IOnnxGraph graph, string x) => graph.Unary("LeakyRelu", x, attributes: new OnnxAttributes().Float("alpha", Slope));

    /// <inheritdoc />
    internal override FusedActivation Fused => FusedActivation.LeakyRelu;

    /// <inheritdoc />
    internal override float FusedSlope => Slope;

    /// <summary>dx = dy for x &gt; 0, slope·dy otherwise (so slope at 0, as torch).</summary>
    private readonly struct BackwardOperator(float slope) : IBinaryOperator
    {
        // Broadcast once per call, not per vector.
        private readonly Vector256<float> _slope256 = Vector256.Create(slope);
        private readonly Vector512<float> _slope512 = Vector512.Create(slope);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x, float dy) => x > 0f ? dy : slope * dy;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
            => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, _slope256 * dy);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
            => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, _slope512 * dy);
    }
}
