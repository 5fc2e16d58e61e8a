using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.MLNet;

public class TrainingControlTests(ITestOutputHelper output)
{
    [Fact]
    public void ExplicitValidationKeepsTheBestEpochAndItsLossIsTheModelsLoss()
    {
        var ml = new MLContext(2);
        var (x, y) = Datasets.Load("digits.csv");
        var (trainRows, valRows) = Datasets.StratifiedSplit(y, 0.3, 2);
        var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, trainRows));
        var train = key.Transform(MLData.Float(ml, x, y, trainRows.OrderBy(i => (i * 7919) % 1797).Take(400)));
        var validation = key.Transform(MLData.Float(ml, x, y, valRows));
        MlpMulticlassTrainer.Options Options(int epochs) => new(MlpPreset.Classic)
        {
            HiddenLayers = [256], Epochs = epochs, Seed = 2, Optimizer = Optimizer.Adam(1e-2), EarlyStopping = new EarlyStopping { Patience = 5 },
        };
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var model = ml.MulticlassClassification.Trainers.Mlp(Options(60)).Fit(train, validation);
        var history = model.History;
        Assert.True(history.Epochs.Count < 60, "an overfitting run should stop early");
        double best = history.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.Equal(best, history.Epochs[history.BestEpoch - 1].ValidationLoss);
        Assert.Equal($"Early stopping at epoch {history.Epochs.Count} of 60: the validation loss did not improve for 5 epochs (Patience); " +
                     $"the weights of the best epoch {history.BestEpoch} were restored.", history.StopReason);
        // The log says it too, naming the network.
        Assert.Contains(log, m => m.Contains($"MLP Multiclass: {history.StopReason}"));
        Assert.True(history.BestEpoch < history.Epochs.Count);

        // The returned model IS the best epoch's, checked independently of the engine: its validation loss recomputed
        // from ML.NET's output — the mean over the validation rows of −ln p_true, in double, p_true read from the Score
        // column at the key label — equals the history's best validation loss. The engine computes the same mean with
        // log-softmax on the logits; Score holds softmax probabilities in Single, so the two differ only by Single
        // rounding: −ln p is off by at most ~1e-7 absolute per row (Single's relative precision, as ln(p(1+ε)) = ln p + ε),
        // ~3e-7 relative at this mean loss (~0.3). Measured: 4e-8. 1e-5 relative is still tight enough to tell epochs
        // apart: the nearest other epoch's validation loss differs by ~1e-4 relative (printed).
        // The confident mistakes of this overfitting run put the smallest p_true near 1e-22: small, but a normal Single
        // (≥ 1.2e-38), so ln p keeps full relative precision and no clipping is needed; asserted, since a p that
        // underflowed to a denormal or 0 would need a clipped comparison (and 0 would make the sum infinite).
        var scores = model.Transform(validation).GetColumn<float[]>("Score").ToArray();
        var labels = validation.GetColumn<uint>("Label").ToArray();
        Assert.Equal(valRows.Length, scores.Length);
        double lossSum = 0, minP = 1;
        for (int i = 0; i < scores.Length; i++)
        {
            double p = scores[i][labels[i] - 1];
            minP = Math.Min(minP, p);
            lossSum -= Math.Log(p);
        }
        double recomputed = lossSum / scores.Length;
        double relative = Math.Abs(recomputed - best) / best;
        output.WriteLine($"validation loss: history best {best:R} (epoch {history.BestEpoch} of {history.Epochs.Count}), recomputed from Score {recomputed:R}, relative difference {relative:E2}; smallest p_true {minP:E2}");
        Assert.True(minP >= 1.1754944e-38, $"p_true underflowed below Single's normal range: {minP:E2}");
        Assert.True(relative <= 1e-5, $"recomputed {recomputed:R} vs best {best:R}: relative {relative:E2}");
        var nearest = history.Epochs.Where((_, i) => i != history.BestEpoch - 1).Min(e => Math.Abs(e.ValidationLoss!.Value - best) / best);
        output.WriteLine($"nearest other epoch's loss differs by {nearest:E2} relative");

        // The returned weights are the best epoch's: the same run stopped there scores identically.
        var stoppedThere = ml.MulticlassClassification.Trainers.Mlp(Options(history.BestEpoch)).Fit(train);
        Assert.Equal(stoppedThere.Transform(validation).GetColumn<float[]>("Score").ToArray(), model.Transform(validation).GetColumn<float[]>("Score").ToArray());
        // And when the epoch budget runs out before patience does, the best epoch is kept as well.
        var budget = ml.MulticlassClassification.Trainers.Mlp(Options(history.BestEpoch + 3)).Fit(train, validation);
        Assert.Equal(history.BestEpoch, budget.History.BestEpoch);
        Assert.Contains("best validation epoch", budget.History.StopReason);
        Assert.Equal(stoppedThere.Transform(validation).GetColumn<float[]>("Score").ToArray(), budget.Transform(validation).GetColumn<float[]>("Score").ToArray());
    }

    [Fact]
    public void BalancedClassWeightsRaiseMinorityRecall()
    {
        var ml = new MLContext(3);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        // Keep only 1 in 8 malignant (label 0) rows: about 26 against 357.
        var rows = Enumerable.Range(0, y.Length).Where(i => y[i] == 1 || i % 8 == 0).ToArray();
        var (trainIdx, testIdx) = Datasets.StratifiedSplit(rows.Select(i => y[i]).ToArray(), 0.4, 3);
        var train = MLData.Bool(ml, x, y, trainIdx.Select(i => rows[i]));
        var test = MLData.Bool(ml, x, y, testIdx.Select(i => rows[i]));
        double MinorityRecall(ClassWeighting weighting)
        {
            var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [8], Epochs = 10, Seed = 3, ClassWeighting = weighting }).Fit(train);
            var scored = model.Transform(test);
            var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
            var truth = scored.GetColumn<bool>("Label").ToArray();
            int negatives = truth.Count(t => !t), found = truth.Zip(predicted).Count(p => !p.First && !p.Second);
            return (double)found / negatives;
        }
        double plain = MinorityRecall(ClassWeighting.None), balanced = MinorityRecall(ClassWeighting.Balanced);
        Assert.True(balanced > plain, $"minority recall: balanced {balanced:P0} vs none {plain:P0}");
    }

    [Fact]
    public void WarmStartContinuesFromALoadedModel()
    {
        var ml = new MLContext(4);
        var (x, y) = Datasets.Load("concrete.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var options = new MlpRegressionTrainer.Options { HiddenLayers = [32], Epochs = 40, Seed = 4 };
        var first = ml.Regression.Trainers.Mlp(options).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(first, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(5).RegisterBackprop();
        var loaded = (MlpRegressionPredictionTransformer)fresh.Model.Load(stream, out _);

        var more = new MlpRegressionTrainer.Options { HiddenLayers = [32], Epochs = 5, Seed = 4 };
        var continued = fresh.Regression.Trainers.Mlp(more).Fit(MLData.Float(fresh, x, y, Enumerable.Range(0, y.Length)), loaded.Model);
        var scratch = fresh.Regression.Trainers.Mlp(more).Fit(MLData.Float(fresh, x, y, Enumerable.Range(0, y.Length)));
        // Continuing starts near where the first run ended, far below a fresh start's first epoch.
        Assert.True(continued.History.Epochs[0].TrainLoss < 0.5 * scratch.History.Epochs[0].TrainLoss,
            $"continued {continued.History.Epochs[0].TrainLoss:F4} vs scratch {scratch.History.Epochs[0].TrainLoss:F4}");
        Assert.True(continued.History.Epochs[0].TrainLoss <= first.History.Epochs[^1].TrainLoss * 1.5);
        // The loaded model itself is untouched.
        Assert.Equal(
            first.Transform(data).GetColumn<float>("Score").ToArray(),
            loaded.Transform(MLData.Float(fresh, x, y, Enumerable.Range(0, y.Length))).GetColumn<float>("Score").ToArray());
    }

    [Fact]
    public void CancellationStopsTrainingPromptly()
    {
        var ml = new MLContext(6);
        var (x, y) = Datasets.Load("digits.csv");
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)))
            .Transform(MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)));
        using var cts = new CancellationTokenSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var options = new MlpMulticlassTrainer.Options
        {
            Epochs = 100_000, CancellationToken = cts.Token,
            Progress = new SynchronousProgress<EpochReport>(e => { if (e.Epoch == 2) cts.Cancel(); }),
        };
        Assert.ThrowsAny<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.Mlp(options).Fit(data));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ResumingFromACheckpointGivesTheSameModel()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetbackprop-ckpt-{Guid.NewGuid():N}.bin");
        try
        {
            var (x, y) = Datasets.Load("wine.csv");
            float[] Scores(int epochs, bool resume)
            {
                var ml = new MLContext(7);
                var data = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
                var options = new MlpBinaryTrainer.Options(MlpPreset.Classic)
                {
                    HiddenLayers = [16], Epochs = epochs, Seed = 7, Dropout = 0.2f, BatchNorm = true,
                    CheckpointPath = path, ResumeFromCheckpoint = resume,
                };
                return ml.BinaryClassification.Trainers.Mlp(options).Fit(data).Transform(data).GetColumn<float>("Score").ToArray();
            }
            var straight = Scores(8, resume: false);
            File.Delete(path);
            Scores(3, resume: false);               // interrupted after 3 epochs…
            Assert.True(File.Exists(path));
            Assert.Equal(straight, Scores(8, resume: true));   // …and resumed to 8
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void DivergenceNamesTheEpochAndSuggestsALowerLearningRate()
    {
        var ml = new MLContext(8);
        var (x, y) = Datasets.Load("concrete.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var options = new MlpRegressionTrainer.Options { Optimizer = Optimizer.Sgd(1e6), Epochs = 5, FeatureNormalization = FeatureNormalization.None };
        var e = Assert.Throws<TrainingDivergedException>(() => ml.Regression.Trainers.Mlp(options).Fit(data));
        Assert.Contains("epoch 1", e.Message);
        Assert.Contains("lower learning rate", e.Message);
    }

    [Fact]
    public void ProgressAndMLContextLogReportEveryEpoch()
    {
        var ml = new MLContext(9);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Message.Contains("Epoch ")) lock (log) log.Add(e.Message); };
        var (x, y) = Datasets.Load("iris.csv");
        var reports = new List<EpochReport>();
        var options = new MlpRegressionTrainer.Options(MlpPreset.Classic) { Epochs = 4, ValidationFraction = 0.2f, Progress = new SynchronousProgress<EpochReport>(reports.Add) };
        var model = ml.Regression.Trainers.Mlp(options).Fit(MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)));
        Assert.Equal([1, 2, 3, 4], reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.NotNull(r.ValidationLoss));
        Assert.All(reports, r => Assert.Equal(3, r.GradientNorms.Length));
        Assert.Equal(4, log.Count);
        Assert.Equal(4, model.History.Epochs.Count);
    }

    private sealed class SynchronousProgress<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
