using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// What the validation data controls, through the ML.NET trainers: the kept epoch is the best one by the monitored
/// quantity (and the model holds its weights), <see cref="EarlyStopping.MinDelta"/> decides what counts as an
/// improvement, reduce-on-plateau follows the validation loss, and <c>ICancelable.CancelExecution</c> on the MLContext
/// stops a Fit. Every expectation is computed here from the history's numbers with the documented rule, and each run is
/// chosen so that a wrong rule (another monitor, MinDelta ignored, the training loss driving the schedule) would give a
/// different answer — asserted as a precondition, so the test shows it can tell them apart.
/// </summary>
public class ValidationControlTests(ITestOutputHelper output)
{
    private static string Show(IEnumerable<double?> values) =>
        string.Join(" ", values.Select(v => v is { } x ? x.ToString("G6", CultureInfo.InvariantCulture) : "-"));

    private void Print(TrainingHistory h)
    {
        output.WriteLine($"train loss      {Show(h.Epochs.Select(e => (double?)e.TrainLoss))}");
        output.WriteLine($"validation loss {Show(h.Epochs.Select(e => e.ValidationLoss))}");
        output.WriteLine($"metric          {Show(h.Epochs.Select(e => e.ValidationMetric))}");
        output.WriteLine($"learning rate   {Show(h.Epochs.Select(e => (double?)e.LearningRate))}");
        output.WriteLine($"best epoch {h.BestEpoch} of {h.Epochs.Count}: {h.StopReason}");
    }

    /// <summary>The first epoch (from 1) with the best value: a later equal value is not an improvement.</summary>
    private static int FirstBest(IReadOnlyList<double> values, bool higherIsBetter)
    {
        double best = higherIsBetter ? values.Max() : values.Min();
        return values.ToList().IndexOf(best) + 1;
    }

    public static TheoryData<ValidationMonitor> Monitors => [ValidationMonitor.Loss, ValidationMonitor.Accuracy, ValidationMonitor.Auc, ValidationMonitor.RSquared];

    /// <summary>
    /// Trains on few rows with a large network and a high rate (so the validation curves turn), the monitor watched
    /// but patience never reached; returns the model, the validation data, and how ML.NET's evaluator measures the
    /// monitored quantity on a model (the loss recomputed from the scores for <see cref="ValidationMonitor.Loss"/>).
    /// </summary>
    private static (MlpPredictionTransformerBase Model, Func<int, MlpPredictionTransformerBase> StoppedAt, IDataView Validation, Func<MlpPredictionTransformerBase, double> Measure)
        Run(MLContext ml, ValidationMonitor monitor, int epochs)
    {
        var stopping = new EarlyStopping { Monitor = monitor, Patience = 10_000 };
        switch (monitor)
        {
            case ValidationMonitor.Loss:
            case ValidationMonitor.Accuracy:
            {
                var (x, y) = Datasets.Load("digits.csv");
                var (tr, va) = Datasets.StratifiedSplit(y, 0.9, 3); // 180 training rows
                var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, tr));
                var train = key.Transform(MLData.Float(ml, x, y, tr));
                var validation = key.Transform(MLData.Float(ml, x, y, va));
                MlpMulticlassTrainer.Options Options(int e) => new(MlpPreset.Classic) { HiddenLayers = [128], Epochs = e, Seed = 3, Optimizer = Optimizer.Adam(1e-2), L2 = 0, EarlyStopping = stopping };
                double Measure(MlpPredictionTransformerBase m)
                {
                    var scored = m.Transform(validation);
                    if (monitor == ValidationMonitor.Accuracy) return ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
                    var scores = scored.GetColumn<float[]>("Score").ToArray();
                    var labels = scored.GetColumn<uint>("Label").ToArray();
                    return scores.Select((s, i) => -Math.Log(s[labels[i] - 1])).Average();
                }
                return (ml.MulticlassClassification.Trainers.Mlp(Options(epochs)).Fit(train, validation),
                        e => ml.MulticlassClassification.Trainers.Mlp(Options(e)).Fit(train), validation, Measure);
            }
            case ValidationMonitor.Auc:
            {
                var (x, y) = Datasets.Load("breast_cancer.csv");
                var (tr, va) = Datasets.StratifiedSplit(y, 0.5, 2);
                var train = MLData.Bool(ml, x, y, tr);
                var validation = MLData.Bool(ml, x, y, va);
                MlpBinaryTrainer.Options Options(int e) => new(MlpPreset.Classic) { HiddenLayers = [128], Epochs = e, Seed = 2, Optimizer = Optimizer.Adam(1e-2), L2 = 0, EarlyStopping = stopping };
                return (ml.BinaryClassification.Trainers.Mlp(Options(epochs)).Fit(train, validation),
                        e => ml.BinaryClassification.Trainers.Mlp(Options(e)).Fit(train), validation,
                        m => ml.BinaryClassification.Evaluate(m.Transform(validation)).AreaUnderRocCurve);
            }
            default:
            {
                var (x, y) = Datasets.Load("diabetes.csv");
                var (tr, va) = Datasets.RandomSplit(y.Length, 0.6, 3);
                var train = MLData.Float(ml, x, y, tr);
                var validation = MLData.Float(ml, x, y, va);
                MlpRegressionTrainer.Options Options(int e) => new(MlpPreset.Classic)
                {
                    // Huber: with the squared error, R² = 1 − loss/variance peaks where the loss bottoms out, and the monitor could not matter.
                    HiddenLayers = [128], Epochs = e, Seed = 3, Optimizer = Optimizer.Adam(1e-2), L2 = 0, EarlyStopping = stopping, Loss = RegressionLoss.Huber, HuberDelta = 0.3f,
                };
                return (ml.Regression.Trainers.Mlp(Options(epochs)).Fit(train, validation),
                        e => ml.Regression.Trainers.Mlp(Options(e)).Fit(train), validation,
                        m => ml.Regression.Evaluate(m.Transform(validation)).RSquared);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Monitors))]
    public void TheKeptEpochIsTheBestByTheMonitorAndTheModelHoldsItsWeights(ValidationMonitor monitor)
    {
        var ml = new MLContext(1);
        var (model, stoppedAt, validation, measure) = Run(ml, monitor, epochs: 20);
        var h = model.History;
        Print(h);
        bool higher = monitor != ValidationMonitor.Loss;
        var metric = h.Epochs.Select(e => e.ValidationMetric!.Value).ToList();
        var loss = h.Epochs.Select(e => e.ValidationLoss!.Value).ToList();
        if (monitor == ValidationMonitor.Loss) Assert.Equal(loss, metric);
        Assert.Equal(FirstBest(metric, higher), h.BestEpoch);
        Assert.Equal($"Reached 20 epochs; kept the best validation epoch {h.BestEpoch}.", h.StopReason);
        // Preconditions: the best epoch is not the last (the weights were restored), and for a metric it is not the
        // loss's best (so a trainer that watched the loss instead would have kept another epoch).
        Assert.NotEqual(h.Epochs.Count, h.BestEpoch);
        if (higher) Assert.NotEqual(FirstBest(loss, higherIsBetter: false), h.BestEpoch);

        // The model's own validation metric, measured by ML.NET's evaluator, is the history's best value.
        double best = metric[h.BestEpoch - 1], measured = measure(model);
        double nearestOther = metric.Where((v, i) => v != best).Min(v => Math.Abs(v - best));
        output.WriteLine($"best {best:R}, measured {measured:R}, nearest other epoch's value differs by {nearestOther:E2}");
        double tolerance = 1e-5 * Math.Max(1, Math.Abs(best)); // Single rounding of scores vs the engine's (see TrainingControlTests)
        Assert.True(nearestOther > tolerance, "the tolerance would not tell the epochs apart");
        Assert.Equal(best, measured, tolerance);
        // And it is that epoch's network: the same run stopped there scores bit for bit the same.
        var there = stoppedAt(h.BestEpoch);
        var a = model.Transform(validation);
        var b = there.Transform(validation);
        if (a.Schema["Score"].Type is VectorDataViewType)
            Assert.Equal(b.GetColumn<float[]>("Score").ToArray(), a.GetColumn<float[]>("Score").ToArray());
        else
            Assert.Equal(b.GetColumn<float>("Score").ToArray(), a.GetColumn<float>("Score").ToArray());
    }

    /// <summary>
    /// MinDelta: only a gain of more than MinDelta over the best so far resets patience. Breast cancer by AUC, MinDelta
    /// 1e-4, patience 5: epoch 9's AUC beats epoch 4's by 5e-5, so the run stops at epoch 9 keeping epoch 4 (with
    /// MinDelta 0 epoch 9 would be the new best and the run would go on). The expectation is the rule applied here to
    /// the history's AUCs.
    /// </summary>
    [Fact]
    public void AnImprovementSmallerThanMinDeltaDoesNotResetPatience()
    {
        const double minDelta = 1e-4;
        const int patience = 5;
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var (tr, va) = Datasets.StratifiedSplit(y, 0.5, 2);
        var train = MLData.Bool(ml, x, y, tr);
        var validation = MLData.Bool(ml, x, y, va);
        var options = new MlpBinaryTrainer.Options(MlpPreset.Classic)
        {
            HiddenLayers = [128], Epochs = 20, Seed = 2, Optimizer = Optimizer.Adam(1e-2), L2 = 0,
            EarlyStopping = new EarlyStopping { Monitor = ValidationMonitor.Auc, Patience = patience, MinDelta = minDelta },
        };
        var model = ml.BinaryClassification.Trainers.Mlp(options).Fit(train, validation);
        var h = model.History;
        Print(h);
        var auc = h.Epochs.Select(e => e.ValidationMetric!.Value).ToList();

        // The documented rule, on the recorded values: (best epoch, epoch it stops) for a given MinDelta, or stop = null when it would not stop within them.
        static (int Best, int? Stop) Rule(IReadOnlyList<double> scores, double delta, int patience)
        {
            int best = 1, since = 0;
            for (int e = 2; e <= scores.Count; e++)
            {
                if (scores[e - 1] > scores[best - 1] + delta) { best = e; since = 0; }
                else if (++since >= patience) return (best, e);
            }
            return (best, null);
        }
        var (expectedBest, expectedStop) = Rule(auc, minDelta, patience);
        Assert.Equal(expectedStop, h.Epochs.Count);
        Assert.Equal(expectedBest, h.BestEpoch);
        Assert.Equal($"Early stopping at epoch {h.Epochs.Count} of 20: the validation AUC did not improve by more than 0.0001 (MinDelta) for {patience} epochs (Patience); " +
                     $"the weights of the best epoch {h.BestEpoch} were restored.", h.StopReason);
        // The case in point: within the patience window an epoch improved on the best, by less than MinDelta.
        double bestAuc = auc[h.BestEpoch - 1];
        Assert.Contains(auc.Skip(h.BestEpoch), a => a > bestAuc && a <= bestAuc + minDelta);
        var (bestWithoutDelta, stopWithoutDelta) = Rule(auc, 0, patience);
        Assert.True(bestWithoutDelta != h.BestEpoch || stopWithoutDelta != h.Epochs.Count, "MinDelta 0 would have ended the same way: the run does not test MinDelta");
        // The kept weights are the best epoch's, not the slightly better last one's.
        Assert.Equal(bestAuc, ml.BinaryClassification.Evaluate(model.Transform(validation)).AreaUnderRocCurve, 1e-9);
    }

    /// <summary>
    /// Reduce-on-plateau in a Fit with validation data follows the validation loss (torch's ReduceLROnPlateau, mode min,
    /// relative threshold): the rate each epoch used, replayed here from the recorded validation losses, is the rate the
    /// history reports, bit for bit. The run overfits — training loss falling every epoch while the validation loss
    /// stalls — so a schedule fed the training loss would never have reduced it (checked).
    /// </summary>
    [Fact]
    public void ReduceOnPlateauFollowsTheValidationLoss()
    {
        const double baseRate = 1e-2, factor = 0.5, threshold = 1e-4;
        const int patience = 2;
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("digits.csv");
        var (tr, va) = Datasets.StratifiedSplit(y, 0.9, 3);
        var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, tr));
        var train = key.Transform(MLData.Float(ml, x, y, tr));
        var validation = key.Transform(MLData.Float(ml, x, y, va));
        var options = new MlpMulticlassTrainer.Options(MlpPreset.Classic)
        {
            HiddenLayers = [128], Epochs = 20, Seed = 3, Optimizer = Optimizer.Adam(baseRate), L2 = 0, EarlyStopping = null,
            Schedule = LearningRateSchedule.ReduceOnPlateau(factor, patience, minRate: 0, threshold),
        };
        var h = ml.MulticlassClassification.Trainers.Mlp(options).Fit(train, validation).History;
        Print(h);

        // torch's rule: an epoch improves when its loss < best·(1 − threshold); the (patience+1)-th epoch in a row that
        // does not multiplies the rate by factor for the epochs after it, and starts the count again.
        static double[] Replay(IEnumerable<double> losses)
        {
            double rate = baseRate, best = double.PositiveInfinity;
            int bad = 0;
            var rates = new List<double>();
            foreach (double loss in losses)
            {
                rates.Add(rate);
                if (loss < best * (1 - threshold)) { best = loss; bad = 0; }
                else if (++bad > patience) { rate *= factor; bad = 0; }
            }
            return [.. rates];
        }
        var reported = h.Epochs.Select(e => e.LearningRate).ToArray();
        Assert.Equal(Replay(h.Epochs.Select(e => e.ValidationLoss!.Value)), reported);
        Assert.Contains(reported, r => r < baseRate);                                       // it did reduce…
        Assert.All(Replay(h.Epochs.Select(e => e.TrainLoss)), r => Assert.Equal(baseRate, r)); // …which the training loss would not have
        Assert.All(h.Epochs.Zip(h.Epochs.Skip(1)), p => Assert.True(p.Second.TrainLoss < p.First.TrainLoss));

        // The first reduction, spelled out: the epochs since the last improvement before it are patience + 1.
        int firstReduced = Array.FindIndex(reported, r => r < baseRate);     // 0-based: the first epoch run at the lower rate
        var losses = h.Epochs.Select(e => e.ValidationLoss!.Value).ToArray();
        int lastImprovement = 0;
        for (int e = 1; e < firstReduced; e++)
            if (losses[e] < losses[..e].Min() * (1 - threshold)) lastImprovement = e;
        Assert.Equal(patience + 1, firstReduced - 1 - lastImprovement);
        Assert.Equal(baseRate * factor, reported[firstReduced]);
    }

    /// <summary>
    /// ML.NET's own cancellation (<c>MLContext.CancelExecution</c>, internal, which cancels the context's environment through
    /// <c>ICancelable</c> and which AutoML calls) stops a Fit at the next batch boundary with an OperationCanceledException: called from the progress report
    /// of epoch 2, no third epoch completes.
    /// </summary>
    [Fact]
    public void CancelExecutionOnTheMLContextStopsAFit()
    {
        var ml = new MLContext(1);
        // Internal in ML.NET 5 (AutoML, a friend assembly, calls it): reached by reflection, as AutoML's call would be.
        var cancel = typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes)!;
        var (x, y) = Datasets.Load("digits.csv");
        var rows = Enumerable.Range(0, y.Length);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, rows)).Transform(MLData.Float(ml, x, y, rows));
        var epochs = new List<int>();
        var options = new MlpMulticlassTrainer.Options(MlpPreset.Classic)
        {
            HiddenLayers = [32], Epochs = 50, BatchSize = 64, Seed = 1,
            Progress = new SyncProgress(e =>
            {
                epochs.Add(e.Epoch);
                if (e.Epoch == 2) cancel.Invoke(ml, null);
            }),
        };
        var trainer = ml.MulticlassClassification.Trainers.Mlp(options);
        var e = Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(data));
        Assert.Contains("CancelExecution", e.Message);
        Assert.Equal([1, 2], epochs);
    }

    private sealed class SyncProgress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
