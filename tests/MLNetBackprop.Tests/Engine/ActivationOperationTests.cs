using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// What every activation gets without a test of its own (an added enum value is picked up here): its float32 forward and
/// backward — vector paths and scalar tail — against its own float64 definition on every element, its definition's
/// derivative against central differences, scoring equal to training, the stated output bound holding, and the
/// gradient check on rows wide enough for the vector paths.
/// </summary>
public class ActivationOperationTests
{
    public static IEnumerable<object[]> All => Enum.GetValues<Activation>().Select(a => new object[] { a });

    /// <summary>37 values: two Vector512 (or four Vector256) blocks and a scalar tail, spanning the far tails, with 0 and a tiny negative.</summary>
    private static float[] Inputs()
    {
        var x = new float[37];
        for (int i = 0; i < x.Length; i++) x[i] = -30f + 60f * i / (x.Length - 1) + (i % 3 == 0 ? 0.013f : 0f);
        x[5] = 0f;
        x[6] = -1e-4f;
        x[7] = 25f;
        return x;
    }

    private static ActivationLayer Create(Activation activation, int width) => ActivationLayers.Create(activation, width, leakySlope: 0.1f);

    [Theory]
    [MemberData(nameof(All))]
    public void KernelsMatchTheDefinitionOnEveryElement(Activation activation)
    {
        var x = Inputs();
        var layer = Create(activation, x.Length);
        var y = layer.Forward(new Matrix(1, x.Length, x), training: true).ToArray();
        var dy = Enumerable.Range(0, x.Length).Select(i => 0.5f + 0.01f * i).ToArray();
        var dx = layer.Backward(new Matrix(1, x.Length, dy))!.ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            // float32 (vector exp, TensorPrimitives, or float64 rounded once): a few ulps relative, plus an absolute floor
            // for values near 0 and for derivatives taken from a saved float32 output (σ·(1 − σ) near saturation).
            double f = layer.Reference(x[i]);
            Assert.True(Math.Abs(y[i] - f) <= 4e-7 * Math.Abs(f) + 4e-7, $"{activation}({x[i]}) = {y[i]}, expected {f}");
            double g = dy[i] * layer.ReferenceDerivative(x[i]);
            Assert.True(Math.Abs(dx[i] - g) <= 4e-7 * Math.Abs(g) + 4e-7, $"{activation}'({x[i]})·dy = {dx[i]}, expected {g}");
        }
        // f(0) = 0 exactly — except where the runtime computes the value: TensorPrimitives.Tanh(0) is −6e-8 on the vector
        // path (within the tolerance above; changing it would change the scores of saved tanh models).
        if (activation is not (Activation.Sigmoid or Activation.Softplus or Activation.Tanh)) Assert.Equal(0f, y[5]);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void ScoringInPlaceGivesTheTrainingForward(Activation activation)
    {
        var x = Inputs();
        var layer = Create(activation, x.Length);
        var y = layer.Forward(new Matrix(1, x.Length, x), training: false).ToArray();
        var inPlace = (float[])x.Clone();
        layer.ScoreInPlace(inPlace);
        // SiLU scores with its own scalar loop (kept for old model files' bits): equal within rounding, not bit for bit.
        if (activation == Activation.Silu) Assert.All(y.Zip(inPlace), p => Assert.Equal(p.First, p.Second, 1e-6f));
        else Assert.Equal(y, inPlace);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void DefinitionsDerivativeMatchesCentralDifferences(Activation activation)
    {
        var layer = Create(activation, 1);
        const double h = 1e-6;
        for (double x = -6.05; x <= 6; x += 0.37) // never on a kink (0)
        {
            double numeric = (layer.Reference(x + h) - layer.Reference(x - h)) / (2 * h);
            Assert.True(Math.Abs(numeric - layer.ReferenceDerivative(x)) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"{activation}'({x}) = {layer.ReferenceDerivative(x)}, central difference {numeric}");
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void OutputBoundHolds(Activation activation)
    {
        var layer = Create(activation, 1);
        foreach (double bound in new[] { 0.0, 0.5, 1.0, 3.0, 40.0 })
            for (int k = -100; k <= 100; k++)
            {
                double x = bound * k / 100;
                Assert.True(Math.Abs(layer.Reference(x)) <= layer.OutputBound(bound) * (1 + 1e-12) + 1e-300,
                    $"|{activation}({x})| = {Math.Abs(layer.Reference(x))} > bound {layer.OutputBound(bound)} for |x| ≤ {bound}");
            }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void WideLayersPassTheGradientCheck(Activation activation)
    {
        // 3 × 37 = 111 values per row block: the vector paths and the tail are both checked (inputs kept off ReLU's kink).
        var input = Random(3, 37, 11 + (long)activation, -3f, 3f);
        var s = input.Span;
        for (int i = 0; i < s.Length; i++)
            if (Math.Abs(s[i]) < 0.15f) s[i] = s[i] < 0 ? s[i] - 0.3f : s[i] + 0.3f;
        GradientChecker.AssertPasses([Create(activation, 37)], input);
    }

    [Fact]
    public void NaNPropagates()
    {
        foreach (var activation in Enum.GetValues<Activation>())
        {
            var x = Enumerable.Repeat(float.NaN, 19).ToArray();
            var y = Create(activation, 19).Forward(new Matrix(1, 19, x), training: false).ToArray();
            Assert.All(y, v => Assert.True(float.IsNaN(v), $"{activation}(NaN) = {v}"));
        }
    }
}
