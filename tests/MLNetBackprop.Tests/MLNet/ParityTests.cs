using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// Two ways to the same model, through the ML.NET trainers, compared bit for bit (weights, running statistics, feature
/// transform, and the history: losses, metrics, rates, best epoch): a run interrupted (where the checkpoint's state matters) and resumed from its
/// checkpoint vs one never interrupted, for multiclass and regression (binary: TrainingControlTests); a Fit streamed
/// under a memory budget with explicit validation data vs the same Fit in memory.
/// </summary>
public class ParityTests(ITestOutputHelper output)
{
    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"mlnetbackprop-parity-{Guid.NewGuid():N}.ckpt");

    [Fact]
    public void MulticlassResumedFromACheckpointIsTheUninterruptedRun()
    {
        string path = TempPath();
        try
        {
            var (x, y) = Datasets.Load("wine.csv");
            MlpMulticlassTrainer Trainer(MLContext ml, int epochs, bool resume) => ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options(MlpPreset.Classic)
            {
                // A held-out fraction and early stopping (its patience never runs out here): the checkpoint carries the
                // best epoch's snapshot and the patience count as well as the weights and Adam's moments.
                HiddenLayers = [16, 8], Epochs = epochs, Seed = 7, Dropout = 0.2f, BatchNorm = true, BatchSize = 16, Optimizer = Optimizer.Adam(1e-2),
                ValidationFraction = 0.25f, EarlyStopping = new EarlyStopping { Patience = 20, Monitor = ValidationMonitor.Accuracy },
                CheckpointPath = path, ResumeFromCheckpoint = resume,
            });
            (MlpModelParameters Model, float[][] Scores) Fit(int epochs, bool resume)
            {
                var ml = new MLContext(7);
                var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
                var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
                var model = Trainer(ml, epochs, resume).Fit(data);
                return (model.Model, model.Transform(data).GetColumn<float[]>("Score").ToArray());
            }
            var straight = Fit(10, resume: false);
            var h = straight.Model.History;
            output.WriteLine($"accuracy: {string.Join(" ", h.Epochs.Select(e => e.ValidationMetric))}; best epoch {h.BestEpoch}");
            // Interrupted just after the best epoch, so the resumed run must bring the best weights and the patience
            // count back from the checkpoint to end as the straight one did.
            int stop = h.BestEpoch;
            Assert.InRange(stop, 1, 9);
            File.Delete(path);
            var interrupted = Fit(stop, resume: false);
            Assert.Equal(stop, interrupted.Model.History.Epochs.Count);
            Assert.True(File.Exists(path));
            var resumed = Fit(10, resume: true);
            Assert.Equal(10, resumed.Model.History.Epochs.Count);
            ClassWeightTests.AssertSameModel(straight.Model, resumed.Model);
            Assert.Equal(straight.Scores, resumed.Scores);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void RegressionResumedFromACheckpointIsTheUninterruptedRun()
    {
        string path = TempPath();
        try
        {
            var (x, y) = Datasets.Load("concrete.csv");
            (MlpModelParameters Model, float[] Scores) Fit(int epochs, bool resume)
            {
                var ml = new MLContext(8);
                var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
                var options = new MlpRegressionTrainer.Options(MlpPreset.Classic)
                {
                    // Reduce-on-plateau keeps state (rate, best, bad epochs) that the checkpoint must carry; Huber, and
                    // the label standardisation the model stores.
                    HiddenLayers = [32], Epochs = epochs, Seed = 8, BatchSize = 64, Optimizer = Optimizer.Adam(3e-2), Loss = RegressionLoss.Huber,
                    ValidationFraction = 0.2f, Schedule = LearningRateSchedule.ReduceOnPlateau(0.5, patience: 0, threshold: 0.05),
                    CheckpointPath = path, ResumeFromCheckpoint = resume,
                };
                var model = ml.Regression.Trainers.Mlp(options).Fit(data);
                return (model.Model, model.Transform(data).GetColumn<float>("Score").ToArray());
            }
            var straight = Fit(10, resume: false);
            output.WriteLine($"rates: {string.Join(" ", straight.Model.History.Epochs.Select(e => e.LearningRate))}");
            // Interrupted in the first epoch at a reduced rate: the resumed run must take the schedule's state (rate, best
            // loss, bad epochs) from the checkpoint, not start the schedule afresh.
            int stop = straight.Model.History.Epochs.ToList().FindIndex(e => e.LearningRate < 3e-2) + 1;
            Assert.InRange(stop, 2, 9);
            File.Delete(path);
            var interrupted = Fit(stop, resume: false);
            Assert.True(File.Exists(path));
            var resumed = Fit(10, resume: true);
            ClassWeightTests.AssertSameModel(straight.Model, resumed.Model);
            Assert.Equal((straight.Model.LabelMean, straight.Model.LabelScale), (resumed.Model.LabelMean, resumed.Model.LabelScale));
            Assert.Equal(straight.Scores, resumed.Scores);
            Assert.NotEqual(straight.Scores, interrupted.Scores);
        }
        finally { File.Delete(path); }
    }

    public static TheoryData<bool> Tasks => [false, true];

    /// <summary>
    /// Fit(train, validation) streamed through a 1 MB window (5,000 × 100 features ≈ 2 MB; the validation view too) is
    /// the in-memory Fit: same history (every loss, metric and rate), same best epoch, same weights. Early stopping on
    /// AUC / R² with patience 2 makes the validation numbers decide where the run ends and which weights it keeps.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tasks))]
    public void StreamedFitWithValidationDataIsTheInMemoryFit(bool regression)
    {
        var train = new SyntheticDataView(5000, 100, seed: 5, regression);
        var validation = new SyntheticDataView(3000, 100, seed: 6, regression);
        MlpModelParameters Fit(int? budget, out List<string> log)
        {
            var ml = new MLContext(1);
            var lines = new List<string>();
            ml.Log += (_, e) => { lock (lines) lines.Add(e.Message); };
            log = lines;
            if (regression)
                return ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options(MlpPreset.Classic)
                {
                    HiddenLayers = [16], Epochs = 12, BatchSize = 64, Seed = 3, NumberOfThreads = 1, ShuffleBlockRows = 64, MemoryBudgetMegabytes = budget,
                    Optimizer = Optimizer.Adam(1e-2), EarlyStopping = new EarlyStopping { Monitor = ValidationMonitor.RSquared, Patience = 2 },
                }).Fit(train, validation).Model;
            return ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options(MlpPreset.Classic)
            {
                HiddenLayers = [16], Epochs = 12, BatchSize = 64, Seed = 3, NumberOfThreads = 1, ShuffleBlockRows = 64, MemoryBudgetMegabytes = budget,
                Optimizer = Optimizer.Adam(1e-2), EarlyStopping = new EarlyStopping { Monitor = ValidationMonitor.Auc, Patience = 2 },
            }).Fit(train, validation).Model;
        }
        var streamed = Fit(1, out var streamedLog);
        var line = Assert.Single(streamedLog, m => m.Contains("training rows"));
        output.WriteLine(line);
        Assert.Contains("3000 validation rows (streamed: a window of", line);
        var inMemory = Fit(null, out var memoryLog);
        Assert.Contains("(in memory)", Assert.Single(memoryLog, m => m.Contains("training rows")));

        var h = inMemory.History;
        output.WriteLine($"{h.StopReason} metric: {string.Join(" ", h.Epochs.Select(e => e.ValidationMetric!.Value.ToString("G6")))}");
        Assert.All(streamed.History.Epochs, e => Assert.NotNull(e.ValidationMetric));
        ClassWeightTests.AssertSameModel(inMemory, streamed);
        Assert.Equal(h.StopReason, streamed.History.StopReason);
        Assert.NotEqual(h.Epochs.Count, h.BestEpoch); // the validation data chose earlier weights than the last epoch's
        Assert.Equal((inMemory.LabelMean, inMemory.LabelScale), (streamed.LabelMean, streamed.LabelScale));
    }
}
