using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// The engine pieces of the tabular recipe: the neural-tangent affine layer and the input scale layer (gradients,
/// initialisation, learning-rate factors, folding into the scoring network), binary label smoothing, the coslog schedule.
/// </summary>
public class TabularPiecesTests
{
    [Fact]
    public void NeuralTangentDenseAndScaleLayerPassTheGradientCheck()
    {
        var scale = new ScaleLayer(5, "scale");
        var dense = new Dense(5, 3, "dense1", weightFactor: 1 / MathF.Sqrt(5));
        var rng = new CounterRandom(1, 2);
        foreach (var p in scale.Parameters.Concat(dense.Parameters))
            for (int i = 0; i < p.Length; i++) p.Value[i] = 2 * rng.NextSingle() - 1;
        GradientChecker.AssertPasses([scale, dense], Random(4, 5, 3));
    }

    [Fact]
    public void PeriodicEmbeddingPassesTheGradientCheck()
    {
        // Features 0, 2 and 3 embedded (16 frequencies, 3 outputs each), 1 and 4 passed through; then an affine layer.
        var embedding = new PeriodicEmbeddingLayer(5, [3, 0, 2], 16, 3, "embedding");
        var rng = new CounterRandom(7, 1);
        embedding.Initialize(ref rng);
        for (int i = 0; i < embedding.Frequency.Length; i++) embedding.Frequency.Value[i] *= 3; // faster waves: generic second derivatives
        var dense = new Dense(embedding.OutputSize, 2, "dense1");
        for (int i = 0; i < dense.Weight.Length; i++) dense.Weight.Value[i] = 2 * rng.NextSingle() - 1;
        Assert.Equal(5 + 3 * 3, embedding.OutputSize);
        GradientChecker.AssertPasses([embedding, dense], Random(3, 5, 4));
    }

    [Fact]
    public void PeriodicEmbeddingComputesTheDefinition()
    {
        var layer = new PeriodicEmbeddingLayer(2, [1], frequencies: 2, outputs: 1, "e");
        layer.Frequency.Value[0] = 0.5f; layer.Frequency.Value[1] = -0.25f;
        layer.Phase.Value[0] = 0.3f; layer.Phase.Value[1] = 1.1f;
        layer.Mixing.Value[0] = 2f; layer.Mixing.Value[1] = -1.5f;
        layer.Bias.Value[0] = 0.125f;
        var y = layer.Forward(new Matrix(1, 2, [7f, 0.8f]), training: false);
        double e = 2 * Math.Cos(2 * Math.PI * 0.5 * 0.8 + 0.3) - 1.5 * Math.Cos(2 * Math.PI * -0.25 * 0.8 + 1.1) + 0.125;
        Assert.Equal(7f, y[0, 0]); // not embedded: passed through
        Assert.Equal(e, y[0, 1], 5); // then the embedded feature's learned value, then the feature itself
        Assert.Equal(0.8f, y[0, 2]);
    }

    [Fact]
    public void NetworksWithEmbeddingsScoreAsTheyTrain()
    {
        var spec = new NetworkSpec
        {
            InputSize = 9, HiddenLayers = [24], OutputSize = 3, Activation = Activation.Selu,
            Parametrization = Parametrization.NeuralTangent, InputScaling = true, EmbeddedFeatures = [0, 4, 8],
        };
        Assert.Equal(new Network(spec, 1).StateBuffers().Sum(b => (long)b.Length), spec.StateValueCount());
        var net = new Network(spec, seed: 3);
        var rng = new CounterRandom(2, 9);
        foreach (var p in net.Parameters.Where(p => p.Name.StartsWith("dense2", StringComparison.Ordinal) || p.Name.StartsWith("scale", StringComparison.Ordinal)))
            for (int i = 0; i < p.Length; i++) p.Value[i] = 2 * rng.NextSingle() - 0.5f;
        var x = Random(7, 9, 5, -3f, 3f);
        var expected = net.Forward(x, training: false);
        var inference = new InferenceNetwork(net);
        var scratch = inference.CreateScratch();
        var output = new float[3];
        var batch = new Matrix(7, 3);
        inference.ForwardBatch(x, 7, batch, inference.CreateBatchScratch(8));
        for (int r = 0; r < 7; r++)
        {
            inference.Forward(x.Row(r), output, scratch);
            for (int k = 0; k < 3; k++)
            {
                Assert.True(Math.Abs(output[k] - expected[r, k]) <= 1e-4 * (1 + Math.Abs(expected[r, k])), $"row {r} output {k}: {output[k]} vs {expected[r, k]}");
                Assert.Equal(output[k], batch[r, k]); // single-row and block scoring: the same bits
            }
        }
        // A scored row allocates nothing (a one-time runtime allocation on promotion may show once, not every time).
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int r = 0; r < 7; r++) inference.Forward(x.Row(r), output, scratch);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
    }

    [Fact]
    public void NeuralTangentDenseComputesTheScaledProduct()
    {
        var dense = new Dense(2, 1, "d", weightFactor: 0.5f);
        dense.Weight.Value[0] = 3f;
        dense.Weight.Value[1] = -1f;
        dense.Bias.Value[0] = 0.25f;
        var y = dense.Forward(new Matrix(1, 2, [2f, 4f]), training: false);
        Assert.Equal(0.5f * (6f - 4f) + 0.25f, y[0, 0]);
        var dx = dense.Backward(new Matrix(1, 1, [2f]))!;
        Assert.Equal([0.5f * 2f * 2f, 0.5f * 2f * 4f], dense.Weight.Gradient); // dW = c·xᵀ·dY
        Assert.Equal(2f, dense.Bias.Gradient[0]); // db = Σ dY, not scaled
        Assert.Equal(0.5f * 2f * 3f, dx[0, 0]); // dX = c·dY·Wᵀ
        Assert.Equal(0.5f * 2f * -1f, dx[0, 1]);
    }

    [Fact]
    public void NeuralTangentInitialisationAndLearningRateFactors()
    {
        var net = new Network(new NetworkSpec
        {
            InputSize = 40, HiddenLayers = [300, 200], OutputSize = 3, Activation = Activation.Selu,
            Parametrization = Parametrization.NeuralTangent, InputScaling = true,
        }, seed: 9);
        var byName = net.Parameters.ToDictionary(p => p.Name);
        Assert.All(byName["scale.weight"].Value, v => Assert.Equal(1f, v));
        Assert.Equal(NetworkSpec.ScaleLearningRateFactor, byName["scale.weight"].LearningRateFactor);
        Assert.False(byName["scale.weight"].IsWeight); // no L2 towards 0 on the scales
        foreach (string name in new[] { "dense1.weight", "dense2.weight", "dense1.bias", "dense2.bias" })
        {
            var v = byName[name].Value;
            double mean = v.Average(x => (double)x), variance = v.Average(x => ((double)x - mean) * (x - mean));
            double se = 1 / Math.Sqrt(v.Length);
            Assert.True(Math.Abs(mean) < 5 * se && Math.Abs(variance - 1) < 10 * se, $"{name}: mean {mean}, variance {variance} (N(0, 1) expected)");
        }
        Assert.Equal(NetworkSpec.NeuralTangentBiasLearningRateFactor, byName["dense1.bias"].LearningRateFactor);
        Assert.Equal(1.0, byName["dense1.weight"].LearningRateFactor);
        Assert.All(byName["dense3.weight"].Value, v => Assert.Equal(0f, v)); // the output layer starts at zero
        Assert.All(byName["dense3.bias"].Value, v => Assert.Equal(0f, v));
        Assert.Equal((float)(1 / Math.Sqrt(40)), net.DenseLayers[0].WeightFactor);
        Assert.Equal((float)(1 / Math.Sqrt(300)), net.DenseLayers[1].WeightFactor);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkSpec
        {
            InputSize = 2, OutputSize = 2, Parametrization = Parametrization.NeuralTangent, WeightInit = WeightInit.HeNormal,
        }.Validate());
    }

    [Fact]
    public void ALearningRateFactorIsAParameterGroupsRate()
    {
        // Adam on a parameter with factor 0.1 at rate 1 takes exactly the steps of factor 1 at rate 0.1.
        var a = new Parameter("a", 3, isWeight: true, learningRateFactor: 0.1);
        var b = new Parameter("b", 3, isWeight: true);
        var sa = Optimizer.Adam(1.0).CreateState([a]);
        var sb = Optimizer.Adam(0.1).CreateState([b]);
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < 3; i++) a.Gradient[i] = b.Gradient[i] = (i + 1) * (step % 2 == 0 ? 0.3f : -0.7f) + a.Value[i];
            sa.Step();
            sb.Step();
            Assert.Equal(b.Value, a.Value);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new Parameter("c", 1, true, learningRateFactor: 0));
    }

    [Fact]
    public void ScalesAndTheNeuralTangentFactorFoldIntoTheScoringNetwork()
    {
        var spec = new NetworkSpec
        {
            InputSize = 37, HiddenLayers = [50, 20], OutputSize = 4, Activation = Activation.Mish,
            Parametrization = Parametrization.NeuralTangent, InputScaling = true,
        };
        var net = new Network(spec, seed: 2);
        var rng = new CounterRandom(4, 4);
        foreach (var p in net.Parameters.Where(p => p.Name.StartsWith("scale", StringComparison.Ordinal) || p.Name.StartsWith("dense3", StringComparison.Ordinal)))
            for (int i = 0; i < p.Length; i++) p.Value[i] = 2 * rng.NextSingle() - 0.5f;
        var x = Random(6, 37, 8, -3f, 3f);
        var expected = net.Forward(x, training: false);
        var inference = new InferenceNetwork(net);
        var scratch = inference.CreateScratch();
        var output = new float[4];
        for (int r = 0; r < 6; r++)
        {
            inference.Forward(x.Row(r), output, scratch);
            for (int k = 0; k < 4; k++) Assert.True(Math.Abs(output[k] - expected[r, k]) <= 1e-4 * (1 + Math.Abs(expected[r, k])), $"row {r} output {k}: {output[k]} vs {expected[r, k]}");
        }
    }

    [Fact]
    public void BinaryLabelSmoothingMovesTheTargetsHalfwayByEpsilon()
    {
        const float eps = 0.2f;
        var loss = new SigmoidCrossEntropyLoss(labelSmoothing: eps);
        var logits = new Matrix(2, 1, [1.5f, -0.5f]);
        var grad = new Matrix(2, 1);
        double l = loss.Compute(logits, [1f, 0f], default, grad);
        static double Bce(double x, double y) => -(y * Math.Log(1 / (1 + Math.Exp(-x))) + (1 - y) * Math.Log(1 - 1 / (1 + Math.Exp(-x))));
        double y1 = 1 - eps / 2, y0 = eps / 2;
        Assert.Equal((Bce(1.5, y1) + Bce(-0.5, y0)) / 2, l, 6);
        Assert.Equal((1 / (1 + Math.Exp(-1.5)) - y1) / 2, grad[0, 0], 6);
        Assert.Equal((1 / (1 + Math.Exp(0.5)) - y0) / 2, grad[1, 0], 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SigmoidCrossEntropyLoss(labelSmoothing: 1f));
    }

    [Fact]
    public void CosLogMakesFourDoublingCyclesOverTheRun()
    {
        var run = LearningRateSchedule.CosLog(4).Start(0.04, epochs: 15);
        double Rate(double t) => 0.04 * 0.5 * (1 - Math.Cos(2 * Math.PI * Math.Log2(1 + 15 * t)));
        Assert.Equal(0, run.Rate(0, 0), 12); // starts from 0 (a warm-up)
        foreach (int end in new[] { 1, 3, 7, 15 }) Assert.Equal(0, run.Rate(end - 1, 1 - 1e-12), 8); // back to 0 at t = 1/15, 3/15, 7/15, 1
        Assert.Equal(0.04, run.Rate(0, Math.Sqrt(2) - 1), 12); // the first cycle peaks at log₂(1 + 15t) = ½
        for (int e = 0; e < 15; e++)
            foreach (double p in new[] { 0.0, 0.25, 0.7 })
                Assert.Equal(Rate((e + p) / 15), run.Rate(e, p), 14);
        Assert.Throws<InvalidOperationException>(() => LearningRateSchedule.CosLog().Start(0.1));
    }
}
