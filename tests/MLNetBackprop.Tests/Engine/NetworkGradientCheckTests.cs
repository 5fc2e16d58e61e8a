using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// Central-difference checks of <see cref="Network.ComputeGradients"/> as a whole — forward, loss
/// (with its row/class weights), backward and the L2 term — in float32 as the engine runs, for
/// networks with BatchNorm, with dropout (fixed mask key), with every loss kind and with L2 &gt; 0.
/// <para>
/// Step and tolerance (the reasoning of <see cref="GradientChecker"/>, applied to the scalar loss):
/// the loss is a mean of O(1) terms computed in float64 from float32 activations, so its rounding
/// error is ~1e-7; with h = 1e-2·max(1, |θ|) the difference quotient carries ~1e-7/(2h) ≈ 5e-6 of
/// rounding. Truncation is h²/6·|f'''| ≈ 2e-5·|f'''|, small for the smooth activations used (tanh,
/// SiLU, GELU — no ReLU kinks). Hence |numeric − analytic| ≤ 1e-2·max(|numeric|, |analytic|) + 1e-4:
/// an order of magnitude above both errors; <see cref="CheckCatchesALossWithoutItsL2Term"/> shows
/// a missing term fails it.
/// </para>
/// </summary>
public class NetworkGradientCheckTests
{
    private const double RelativeTolerance = 1e-2, AbsoluteTolerance = 1e-4;

    private sealed record Problem(Network Net, Matrix X, float[] Targets, float[]? RowWeights);

    private static Problem Make(NetworkSpec spec, int rows = 8, long seed = 1, bool rowWeights = false)
    {
        var net = new Network(spec, seed);
        // Non-trivial BatchNorm γ/β and biases, so their gradients are generic.
        var rng = new CounterRandom(seed, 77);
        foreach (var p in net.Parameters.Where(p => !p.IsWeight))
            for (int i = 0; i < p.Length; i++)
                p.Value[i] = p.Name.StartsWith("bn", StringComparison.Ordinal) && p.Name.EndsWith(".weight", StringComparison.Ordinal)
                    ? 0.5f + rng.NextSingle()
                    : rng.NextSingle() - 0.5f;
        var x = Random(rows, spec.InputSize, seed + 1, -2f, 2f);
        float[] targets = spec.Loss switch
        {
            LossKind.SoftmaxCrossEntropy => Enumerable.Range(0, rows).Select(i => (float)(i % spec.OutputSize)).ToArray(),
            LossKind.SigmoidCrossEntropy => Enumerable.Range(0, rows * spec.OutputSize).Select(_ => rng.NextSingle()).ToArray(),
            _ => Enumerable.Range(0, rows * spec.OutputSize).Select(_ => 3f * rng.NextSingle() - 1.5f).ToArray(),
        };
        float[]? weights = rowWeights ? Enumerable.Range(0, rows).Select(_ => 0.25f + 2f * rng.NextSingle()).ToArray() : null;
        return new Problem(net, x, targets, weights);
    }

    private static double Loss(Problem p, float l2) => p.Net.ComputeGradients(p.X, p.Targets, p.RowWeights, l2);

    /// <summary>Checks every parameter's gradient; <paramref name="numericL2"/> is the λ of the numeric loss (normally the same).</summary>
    private static (int Checked, List<string> Failures) Check(Problem p, float l2, float? numericL2 = null)
    {
        Loss(p, l2);
        var analytic = p.Net.Parameters.Select(q => (float[])q.Gradient.Clone()).ToArray();
        var failures = new List<string>();
        int count = 0;
        for (int k = 0; k < p.Net.Parameters.Count; k++)
        {
            var q = p.Net.Parameters[k];
            for (int i = 0; i < q.Length; i++)
            {
                float original = q.Value[i];
                double h = 1e-2 * Math.Max(1.0, Math.Abs(original));
                float plus = (float)(original + h), minus = (float)(original - h);
                q.Value[i] = plus;
                double lPlus = Loss(p, numericL2 ?? l2);
                q.Value[i] = minus;
                double lMinus = Loss(p, numericL2 ?? l2);
                q.Value[i] = original;
                double numeric = (lPlus - lMinus) / ((double)plus - minus);
                double a = analytic[k][i];
                double allowed = RelativeTolerance * Math.Max(Math.Abs(numeric), Math.Abs(a)) + AbsoluteTolerance;
                count++;
                if (Math.Abs(numeric - a) > allowed) failures.Add($"{q.Name}[{i}]: analytic {a:G6}, numeric {numeric:G6}");
            }
        }
        return (count, failures);
    }

    private static void AssertPasses(Problem p, float l2 = 0f)
    {
        var (count, failures) = Check(p, l2);
        Assert.True(count == p.Net.ParameterCount, $"checked {count} of {p.Net.ParameterCount}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} gradients wrong, e.g. {string.Join("; ", failures.Take(5))}");
    }

    private static NetworkSpec Spec(LossKind loss = LossKind.SoftmaxCrossEntropy, int outputs = 3, bool batchNorm = false, float dropout = 0f, Activation activation = Activation.Tanh)
        => new() { InputSize = 4, HiddenLayers = [6, 5], Activation = activation, BatchNorm = batchNorm, Dropout = dropout, OutputSize = outputs, Loss = loss, HuberDelta = 0.5f };

    [Fact]
    public void WithBatchNorm() => AssertPasses(Make(Spec(batchNorm: true)));

    [Fact]
    public void WithDropoutUnderAFixedKey()
    {
        var p = Make(Spec(dropout: 0.3f, activation: Activation.Silu));
        p.Net.SetDropoutKey(seed: 5, epoch: 2, batch: 7);
        AssertPasses(p);
    }

    [Theory]
    [InlineData(LossKind.SoftmaxCrossEntropy, 3)]
    [InlineData(LossKind.SigmoidCrossEntropy, 3)]
    [InlineData(LossKind.MeanSquaredError, 2)]
    [InlineData(LossKind.Huber, 2)]
    public void WithEachLossAndRowWeights(LossKind loss, int outputs)
        => AssertPasses(Make(Spec(loss, outputs, activation: Activation.Gelu), rowWeights: true));

    [Fact]
    public void WithClassWeightsAndLabelSmoothing()
        => AssertPasses(Make(Spec() with { ClassWeights = [0.5f, 2f, 1f], LabelSmoothing = 0.1f }));

    [Theory]
    [InlineData(LossKind.SoftmaxCrossEntropy, 3, Activation.Selu)]
    [InlineData(LossKind.SigmoidCrossEntropy, 1, Activation.Selu)]
    [InlineData(LossKind.MeanSquaredError, 1, Activation.Mish)]
    public void NeuralTangentWithFeatureScales(LossKind loss, int outputs, Activation activation) => CheckNeuralTangent(loss, outputs, activation, l2: 0f);

    [Fact]
    public void NeuralTangentWithL2OnTheEffectiveWeights() => CheckNeuralTangent(LossKind.SoftmaxCrossEntropy, 3, Activation.Selu, l2: 0.3f);

    private static void CheckNeuralTangent(LossKind loss, int outputs, Activation activation, float l2)
    {
        // The RealMLP pieces: learnable input scales, 1/√fan_in layers, label smoothing on either classifier loss.
        var spec = Spec(loss, outputs, activation: activation) with
        {
            Parametrization = Parametrization.NeuralTangent, InputScaling = true,
            LabelSmoothing = loss == LossKind.MeanSquaredError ? 0f : 0.1f,
        };
        var p = Make(spec, rowWeights: true);
        // The output layer starts at zero (no gradient would reach the hidden layers) and the scales at 1: make both generic.
        var rng = new CounterRandom(3, 5);
        foreach (var q in p.Net.Parameters.Where(q => q.Name.StartsWith("scale", StringComparison.Ordinal) || q.Name.StartsWith("dense3", StringComparison.Ordinal)))
            for (int i = 0; i < q.Length; i++) q.Value[i] = 1.5f * rng.NextSingle() - 0.5f;
        AssertPasses(p, l2);
        if (l2 == 0) return;
        // The penalty is on c·W: λ/2·Σ c²·w² over the affine weights only.
        double plain = Loss(p, 0f), penalised = Loss(p, l2);
        double expected = 0.5 * l2 * p.Net.DenseLayers.Sum(d => (double)d.WeightFactor * d.WeightFactor * d.Weight.Value.Sum(w => (double)w * w));
        Assert.Equal(expected, penalised - plain, 6);
    }

    [Fact]
    public void WithL2BatchNormAndDropout()
    {
        var p = Make(Spec(batchNorm: true, dropout: 0.2f));
        p.Net.SetDropoutKey(3, 1, 4);
        AssertPasses(p, l2: 0.1f);
    }

    [Fact]
    public void CheckCatchesALossWithoutItsL2Term()
    {
        // Analytic gradients with λ = 0.5 against a numeric loss without the penalty: the weights' λ·w must show.
        var p = Make(Spec());
        var (count, failures) = Check(p, l2: 0.5f, numericL2: 0f);
        int weights = p.Net.Parameters.Where(q => q.IsWeight).Sum(q => q.Length);
        Assert.True(failures.Count >= weights / 2, $"{failures.Count} of {count} flagged; {weights} are weights");
    }

    [Fact]
    public void L2PenalisesWeightsOnlyAndIsPartOfTheLoss()
    {
        const float lambda = 0.1f;
        var p = Make(Spec(batchNorm: true, dropout: 0.2f));
        p.Net.SetDropoutKey(9, 0, 0);
        double plain = Loss(p, 0f);
        var g0 = p.Net.Parameters.Select(q => (float[])q.Gradient.Clone()).ToArray();
        double penalised = Loss(p, lambda);

        double sumSquares = p.Net.Parameters.Where(q => q.IsWeight).SelectMany(q => q.Value).Sum(v => (double)v * v);
        double expectedPenalty = lambda / 2 * sumSquares;
        Assert.True(Math.Abs(penalised - plain - expectedPenalty) <= 1e-5 * expectedPenalty, $"penalty {penalised - plain:G9}, expected λ/2·Σw² = {expectedPenalty:G9}");

        Assert.Equal(["dense1.weight", "dense2.weight", "dense3.weight"], p.Net.Parameters.Where(q => q.IsWeight).Select(q => q.Name));
        Assert.Contains(p.Net.Parameters, q => q.Name == "bn1.weight" && !q.IsWeight);
        for (int k = 0; k < p.Net.Parameters.Count; k++)
        {
            var q = p.Net.Parameters[k];
            for (int i = 0; i < q.Length; i++)
            {
                if (q.IsWeight)
                {
                    double expected = g0[k][i] + (double)lambda * q.Value[i];
                    Assert.True(Math.Abs(q.Gradient[i] - expected) <= 1e-6 * Math.Abs(expected) + 1e-7, $"{q.Name}[{i}]: {q.Gradient[i]} vs {expected}");
                }
                else Assert.True(q.Gradient[i] == g0[k][i], $"{q.Name}[{i}] (bias or BatchNorm γ/β) was decayed: {g0[k][i]} → {q.Gradient[i]}");
            }
        }
    }
}
