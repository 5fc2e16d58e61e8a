using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Schedules, divergence, gradient clipping, early stopping and example weights in the training loop.</summary>
public class TrainingBehaviourTests
{
    private const double Base = 0.1;

    private static double[] Rates(LearningRateSchedule schedule, int epochs, double progress)
    {
        var run = schedule.Start(Base);
        return Enumerable.Range(0, epochs).Select(e => run.Rate(e, progress)).ToArray();
    }

    private static void AssertRates(double[] expected, IEnumerable<double> actual, string label)
    {
        var a = actual.ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - expected[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"{label}, epoch {i + 1}: rate {a[i]:G17}, expected {expected[i]:G17}");
    }

    // Hand-computed, base rate 0.1.
    private static readonly double[] StepRates = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125];
    private static readonly double[] ExponentialRates = [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969];
    // Cosine(4 epochs, η_min 0.01, 2 warm-up epochs): warm-up 0.1·(e + p)/2, then 0.01 + 0.09·(1 + cos(π·t/4))/2 with t = min(e − 2, 4).
    private static readonly double[] CosineRatesAtStartOfEpoch = [0, 0.05, 0.1, 0.01 + 0.09 * (1 + Math.Sqrt(0.5)) / 2, 0.055, 0.01 + 0.09 * (1 - Math.Sqrt(0.5)) / 2, 0.01, 0.01];
    private static readonly double[] CosineRatesAtHalfEpoch = [0.025, 0.075, .. CosineRatesAtStartOfEpoch[2..]];

    [Fact]
    public void StatelessSchedulesGiveTheDocumentedRates()
    {
        AssertRates(Enumerable.Repeat(Base, 8).ToArray(), Rates(LearningRateSchedule.Constant(), 8, 0.3), "constant");
        AssertRates(StepRates, Rates(LearningRateSchedule.Step(2, 0.5), 8, 0.7), "step");
        AssertRates(ExponentialRates, Rates(LearningRateSchedule.Exponential(0.9), 8, 0.7), "exponential");
        var cosine = LearningRateSchedule.Cosine(4, minRate: 0.01, warmupEpochs: 2);
        AssertRates(CosineRatesAtStartOfEpoch, Rates(cosine, 8, 0), "cosine, start of epoch");
        AssertRates(CosineRatesAtHalfEpoch, Rates(cosine, 8, 0.5), "cosine, mid-epoch (warm-up is per step)");
    }

    [Fact]
    public void ReduceOnPlateauHonoursFactorPatienceThresholdAndFloor()
    {
        // factor 0.5, patience 2, floor 0.02, threshold 10% relative.
        var run = LearningRateSchedule.ReduceOnPlateau(factor: 0.5, patience: 2, minRate: 0.02, threshold: 0.1).Start(Base);
        double[] losses = [1.0, 0.95, 0.95, 0.95, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
        // 0.95 is not 10% below 1.0: three bad epochs (> patience 2) halve the rate; 0.5 is a new best.
        double[] expectedAfter = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02];
        var rates = new List<double>();
        foreach (double loss in losses)
        {
            run.EpochEnded(loss);
            rates.Add(run.Rate(0, 0));
        }
        AssertRates(expectedAfter, rates, "reduce-on-plateau");
        // Its state round-trips (checkpoints).
        var copy = LearningRateSchedule.ReduceOnPlateau(factor: 0.5, patience: 2, minRate: 0.02, threshold: 0.1).Start(Base);
        copy.RestoreState(run.SaveState());
        Assert.Equal(run.SaveState(), copy.SaveState());
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.Constant().Start(Base).RestoreState([1.0]));
    }

    private static Dataset Iris()
    {
        var (x, y) = Datasets.Load("iris.csv");
        var m = new Matrix(y.Length, 4);
        for (int i = 0; i < y.Length; i++)
            for (int j = 0; j < 4; j++) m[i, j] = x[i][j];
        return new Dataset(m, y);
    }

    public static IEnumerable<object[]> RunSchedules =>
    [
        ["constant", Enumerable.Repeat(Base, 8).ToArray()],
        ["step", StepRates],
        ["exponential", ExponentialRates],
        ["cosine", CosineRatesAtHalfEpoch],
    ];

    [Theory]
    [MemberData(nameof(RunSchedules))]
    public void EpochReportsTheRateUsedAtTheEpochsLastStep(string name, double[] expected)
    {
        var schedule = name switch
        {
            "constant" => LearningRateSchedule.Constant(),
            "step" => LearningRateSchedule.Step(2, 0.5),
            "exponential" => LearningRateSchedule.Exponential(0.9),
            _ => LearningRateSchedule.Cosine(4, minRate: 0.01, warmupEpochs: 2),
        };
        // 150 rows in batches of 75: two steps per epoch, the last at progress 0.5.
        var net = new Network(new NetworkSpec { InputSize = 4, HiddenLayers = [4], OutputSize = 3 }, 1);
        var history = new NetworkTrainer(net, new TrainingSettings { Epochs = 8, BatchSize = 75, Optimizer = Optimizer.Sgd(Base), Schedule = schedule }).Train(Iris());
        AssertRates(expected, history.Epochs.Select(e => e.LearningRate), name);
    }

    [Fact]
    public void ReduceOnPlateauInARunReducesWhenTheLossStalls()
    {
        // A learning rate of 1e-9 leaves the loss flat (changes ≪ the 1e-4 threshold): after the first
        // epoch every epoch is "bad"; patience 1 halves the rate after every second bad epoch, floor b/4.
        const double b = 1e-9;
        var net = new Network(new NetworkSpec { InputSize = 4, HiddenLayers = [4], OutputSize = 3 }, 1);
        var settings = new TrainingSettings { Epochs = 8, BatchSize = 50, Optimizer = Optimizer.Sgd(b), Schedule = LearningRateSchedule.ReduceOnPlateau(0.5, patience: 1, minRate: b / 4) };
        var history = new NetworkTrainer(net, settings).Train(Iris());
        AssertRates([b, b, b, b / 2, b / 2, b / 4, b / 4, b / 4], history.Epochs.Select(e => e.LearningRate), "plateau run");
    }

    [Fact]
    public void AHugeLearningRateThrowsTrainingDivergedNamingTheEpoch()
    {
        // Regression on the unscaled concrete data (features up to ~1000): MSE's gradient grows with the
        // error, so each step at rate 1e6 multiplies it until it overflows. (A softmax loss has a bounded
        // gradient and only saturates.)
        var (x, y) = Datasets.Load("concrete.csv");
        int features = x[0].Length;
        var m = new Matrix(y.Length, features);
        for (int i = 0; i < y.Length; i++)
            for (int j = 0; j < features; j++) m[i, j] = x[i][j];
        var net = new Network(new NetworkSpec { InputSize = features, HiddenLayers = [16], OutputSize = 1, Loss = LossKind.MeanSquaredError }, 1);
        var trainer = new NetworkTrainer(net, new TrainingSettings { Epochs = 5, Optimizer = Optimizer.Sgd(1e6) });
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train(new Dataset(m, y)));
        Assert.InRange(e.Epoch, 1, 5);
        Assert.False(double.IsFinite(e.Loss));
        Assert.Contains($"epoch {e.Epoch}", e.Message);
    }

    /// <summary>y = 2x + 1 + noise, x uniform in [−1, 1]: MSE curvature 2 on the bias, so SGD diverges once the rate passes 1.</summary>
    private static Dataset Line(int rows, long seed)
    {
        var rng = new CounterRandom(seed, 5);
        var x = new Matrix(rows, 1);
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            x[i, 0] = 2 * rng.NextSingle() - 1;
            y[i] = 2 * x[i, 0] + 1 + 0.1f * (float)rng.NextGaussian();
        }
        return new Dataset(x, y);
    }

    [Fact]
    public void DivergingWithValidationReturnsTheBestWeightsSoFar()
    {
        // A linear warm-up to 20 over 100 epochs: stable (rate < 1) for the first 5 epochs, then the
        // error grows geometrically until the loss overflows around epoch 15.
        var spec = new NetworkSpec { InputSize = 1, OutputSize = 1, Loss = LossKind.MeanSquaredError };
        var net = new Network(spec, 1);
        var validation = Line(100, 2);
        var settings = new TrainingSettings
        {
            Epochs = 100,
            BatchSize = 20,
            Optimizer = Optimizer.Sgd(20),
            Schedule = LearningRateSchedule.Cosine(100, warmupEpochs: 100),
            EarlyStopping = new EarlyStopping { Patience = 50 },
        };
        var history = new NetworkTrainer(net, settings).Train(Line(200, 1), validation);
        Assert.StartsWith("Diverged", history.StopReason);
        Assert.Contains($"best epoch {history.BestEpoch} were restored", history.StopReason);
        Assert.True(history.Epochs.Count < 100);
        double best = history.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.Equal(best, history.Epochs[history.BestEpoch - 1].ValidationLoss);
        Assert.True(best < 0.05, $"best validation loss {best}");
        Assert.Equal(best, Evaluator.Evaluate(net, validation, ValidationMonitor.Loss).Loss, 12);
    }

    [Fact]
    public void ClipGlobalNormCapsTheNormAndKeepsTheDirection()
    {
        var a = new Parameter("a", 2, true);
        var b = new Parameter("b", 1, false);
        a.Gradient[0] = 3f;
        a.Gradient[1] = 0f;
        b.Gradient[0] = -4f;
        Parameter[] ps = [a, b];
        Assert.Equal(5.0, GradientClipping.ClipGlobalNorm(ps, 10), 12);
        Assert.Equal([3f, 0f, -4f], [a.Gradient[0], a.Gradient[1], b.Gradient[0]]); // under the cap: untouched

        Assert.Equal(5.0, GradientClipping.ClipGlobalNorm(ps, 1), 12);
        double norm = Math.Sqrt(ps.SelectMany(p => p.Gradient).Sum(g => (double)g * g));
        Assert.InRange(norm, 1 - 1e-5, 1.0);
        Assert.Equal(0.6, a.Gradient[0], 5);
        Assert.Equal(-0.8, b.Gradient[0], 5);
    }

    [Fact]
    public void ClippingInTheLoopCapsEachStep()
    {
        // One SGD step at lr 1 with the gradient clipped to 1e-3: the parameters move by at most 1e-3.
        var net = new Network(new NetworkSpec { InputSize = 4, HiddenLayers = [8], OutputSize = 3 }, 1);
        var before = net.Parameters.SelectMany(p => p.Value).ToArray();
        new NetworkTrainer(net, new TrainingSettings { Epochs = 1, BatchSize = 150, Optimizer = Optimizer.Sgd(1), GradientClipNorm = 1e-3 }).Train(Iris());
        var after = net.Parameters.SelectMany(p => p.Value).ToArray();
        double moved = Math.Sqrt(before.Zip(after, (u, v) => (double)(u - v) * (u - v)).Sum());
        Assert.InRange(moved, 0.9e-3, 1.0001e-3);
    }

    private static Dataset Digits(int[] rows, float[][] x, float[] y)
    {
        var m = new Matrix(rows.Length, 64);
        var t = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < 64; j++) m[i, j] = x[rows[i]][j] / 16f;
            t[i] = y[rows[i]];
        }
        return new Dataset(m, t);
    }

    [Theory]
    [InlineData(5, 200)]   // patience ends the run
    [InlineData(1000, 25)] // the epoch budget ends it
    public void EarlyStoppingReturnsTheBestEpochsWeights(int patience, int epochs)
    {
        var (x, y) = Datasets.Load("digits.csv");
        var (trainRows, valRows) = Datasets.StratifiedSplit(y, 0.25, 5);
        var train = Digits(trainRows.Take(300).ToArray(), x, y);
        var val = Digits(valRows, x, y);
        var net = new Network(new NetworkSpec { InputSize = 64, HiddenLayers = [256], OutputSize = 10 }, 3);
        var settings = new TrainingSettings { Epochs = epochs, Optimizer = Optimizer.Adam(1e-2), Seed = 3, EarlyStopping = new EarlyStopping { Patience = patience } };
        var history = new NetworkTrainer(net, settings).Train(train, val);

        double best = history.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.Equal(best, history.Epochs[history.BestEpoch - 1].ValidationLoss);
        Assert.True(history.BestEpoch < history.Epochs.Count, $"the run should overfit: best epoch {history.BestEpoch} of {history.Epochs.Count}");
        if (patience < epochs)
        {
            Assert.Equal(history.BestEpoch + patience, history.Epochs.Count);
            Assert.Equal($"Early stopping at epoch {history.Epochs.Count} of {epochs}: the validation loss did not improve for {patience} epochs (Patience); " +
                         $"the weights of the best epoch {history.BestEpoch} were restored.", history.StopReason);
        }
        else
        {
            Assert.Equal(epochs, history.Epochs.Count);
            Assert.Equal($"Reached {epochs} epochs; kept the best validation epoch {history.BestEpoch}.", history.StopReason);
        }
        Assert.Equal(best, Evaluator.Evaluate(net, val, ValidationMonitor.Loss).Loss, 9);
    }

    /// <summary>Two overlapping Gaussian classes, 95% class 0 at the origin and 5% class 1 at (1.5, 1.5).</summary>
    private static Dataset Imbalanced(int rows, long seed, float minorityWeight)
    {
        var rng = new CounterRandom(seed, 9);
        var x = new Matrix(rows, 2);
        var y = new float[rows];
        var w = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            bool minority = i % 20 == 0;
            y[i] = minority ? 1 : 0;
            w[i] = minority ? minorityWeight : 1;
            for (int j = 0; j < 2; j++) x[i, j] = (float)rng.NextGaussian() + (minority ? 1.5f : 0f);
        }
        return new Dataset(x, y, 1, w);
    }

    private static double MinorityRecall(float minorityWeight)
    {
        var net = new Network(new NetworkSpec { InputSize = 2, HiddenLayers = [8], OutputSize = 2 }, 1);
        new NetworkTrainer(net, new TrainingSettings { Epochs = 30, Optimizer = Optimizer.Adam(1e-2), Seed = 1 }).Train(Imbalanced(2000, 1, minorityWeight));
        var test = Imbalanced(4000, 2, 1);
        var p = net.Predict(test.Features);
        int found = 0, total = 0;
        for (int i = 0; i < test.Rows; i++)
        {
            if (test.Targets[i] != 1) continue;
            total++;
            if (p[i, 1] > p[i, 0]) found++;
        }
        return (double)found / total;
    }

    [Fact]
    public void RowWeightsRaiseMinorityRecallOnAnImbalancedSet()
    {
        double plain = MinorityRecall(1), weighted = MinorityRecall(19);
        Assert.True(weighted >= plain + 0.3, $"minority recall: unweighted {plain:P1}, weighted (19×) {weighted:P1}");
        Assert.True(weighted >= 0.6, $"weighted recall {weighted:P1}");
    }
}
