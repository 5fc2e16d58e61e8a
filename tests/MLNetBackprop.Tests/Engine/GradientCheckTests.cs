using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Central-difference checks of every layer's Backward (see <see cref="GradientChecker"/> for h and tolerances).</summary>
public class GradientCheckTests
{
    /// <summary>A sigmoid whose backward forgets the (1 − y) factor: the checker must catch it.</summary>
    private sealed class BrokenSigmoidLayer(int width) : ActivationLayer(width)
    {
        public override Activation Function => Activation.Sigmoid;
        public override double Reference(double x) => 1 / (1 + Math.Exp(-x));
        public override double ReferenceDerivative(double x) => Reference(x) * (1 - Reference(x));
        internal override WeightInit AutoInit => WeightInit.XavierUniform;
        internal override double InitGain => 1;
        internal override double OutputBound(double inputBound) => 1;
        internal override string ExportOnnx(MLNetBackprop.Onnx.IOnnxGraph graph, string x) => graph.Unary("Sigmoid", x);
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.SigmoidForward(x, y);
        protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dx.Length; i++) dx[i] = dy[i] * y[i];
        }
    }

    /// <summary>Random inputs in [−2, 2], pushed at least 0.15 away from 0 (the ReLU kinks) — more than the step h.</summary>
    private static Matrix AwayFromZero(int rows, int columns, long seed)
    {
        var m = Random(rows, columns, seed, -2f, 2f);
        var s = m.Span;
        for (int i = 0; i < s.Length; i++)
            if (Math.Abs(s[i]) < 0.15f) s[i] = s[i] < 0 ? s[i] - 0.3f : s[i] + 0.3f;
        return m;
    }

    private static void Fill(Parameter p, long seed, float low = -1f, float high = 1f)
    {
        var rng = new CounterRandom(seed, 99);
        for (int i = 0; i < p.Length; i++) p.Value[i] = low + (high - low) * rng.NextSingle();
    }

    public static IEnumerable<object[]> AllActivations => Enum.GetValues<Activation>().Select(a => new object[] { a });

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void ActivationLayer(Activation activation)
    {
        var layer = ActivationLayers.Create(activation, 5, leakySlope: 0.1f);
        GradientChecker.AssertPasses([layer], AwayFromZero(4, 5, (long)activation));
    }

    [Fact]
    public void DenseLayer()
    {
        var dense = new Dense(5, 3, "dense0");
        Fill(dense.Weight, 1);
        Fill(dense.Bias, 2);
        GradientChecker.AssertPasses([dense], Random(4, 5, 3));
    }

    [Fact]
    public void BatchNormTraining()
    {
        var bn = new BatchNormLayer(4, "bn0");
        Fill(bn.Gamma, 4, 0.5f, 1.5f);
        Fill(bn.Beta, 5);
        GradientChecker.AssertPasses([bn], Random(6, 4, 6, -2f, 2f));
    }

    [Fact]
    public void DropoutWithFixedMask()
    {
        var dropout = new DropoutLayer(6, 0.4f, layerIndex: 2);
        dropout.SetRandomKey(seed: 11, epoch: 3, batch: 7);
        var x = Random(5, 6, 7);
        var y = dropout.Forward(x, training: true).ToArray();
        Assert.Contains(y, v => v == 0f);
        Assert.Contains(y, v => v != 0f);
        GradientChecker.AssertPasses([dropout], x);
    }

    [Fact]
    public void DenseBatchNormTanhDenseStack()
    {
        var d1 = new Dense(3, 5, "dense0");
        var bn = new BatchNormLayer(5, "bn1");
        var act = new TanhLayer(5);
        var d2 = new Dense(5, 2, "dense3");
        var rng = new CounterRandom(8, (long)RandomPurpose.Initialization);
        WeightInitializer.Initialize(d1.Weight, 3, 5, WeightInit.Auto, Activation.Tanh, 0.01f, ref rng);
        WeightInitializer.Initialize(d2.Weight, 5, 2, WeightInit.Auto, Activation.Identity, 0.01f, ref rng);
        Fill(d1.Bias, 9, -0.1f, 0.1f);
        Fill(bn.Gamma, 10, 0.5f, 1.5f);
        Fill(bn.Beta, 11, -0.5f, 0.5f);
        Fill(d2.Bias, 12, -0.1f, 0.1f);
        GradientChecker.AssertPasses([d1, bn, act, d2], Random(8, 3, 13, -2f, 2f));
    }

    [Fact]
    public void StackWithEveryLayerKind()
    {
        var d1 = new Dense(4, 6, "dense0");
        Fill(d1.Weight, 20, -0.7f, 0.7f);
        Fill(d1.Bias, 21, -0.1f, 0.1f);
        var dropout = new DropoutLayer(6, 0.25f, 3);
        dropout.SetRandomKey(1, 2, 3);
        var d2 = new Dense(6, 3, "dense4");
        Fill(d2.Weight, 22, -0.7f, 0.7f);
        Layer[] layers = [d1, new BatchNormLayer(6, "bn1"), new SiluLayer(6), dropout, d2, new GeluLayer(3)];
        GradientChecker.AssertPasses(layers, Random(7, 4, 23, -2f, 2f));
    }

    [Fact]
    public void CheckerCatchesAWrongDerivative()
    {
        var x = AwayFromZero(4, 5, 30);
        var correct = GradientChecker.Check([new SigmoidLayer(5)], x);
        Assert.True(correct.Passed, correct.Worst);
        var broken = GradientChecker.Check([new BrokenSigmoidLayer(5)], x);
        Assert.False(broken.Passed);
        Assert.True(broken.Failures.Count >= broken.Checked / 2, $"{broken.Failures.Count} of {broken.Checked}");

        // Also when the wrong layer hides inside a stack, behind a correct Dense.
        var dense = new Dense(3, 5, "dense0");
        Fill(dense.Weight, 31);
        var stacked = GradientChecker.Check([dense, new BrokenSigmoidLayer(5)], Random(4, 3, 32));
        Assert.False(stacked.Passed);
    }
}
