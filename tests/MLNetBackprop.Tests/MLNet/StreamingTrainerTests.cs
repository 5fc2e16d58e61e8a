using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.MLNet;

public class StreamingTrainerTests(ITestOutputHelper output)
{
    private static List<string> CaptureLog(MLContext ml)
    {
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        return log;
    }

    [Fact]
    public void StreamedFitIsBitIdenticalToInMemoryWithTheSameBlockShuffle()
    {
        // 5,000 × 100 features ≈ 2 MB > the 1 MB budget: streamed through a ~2,570-row window, 2 passes per epoch.
        var data = new SyntheticDataView(5000, 100, seed: 5);
        MlpBinaryTrainer.Options Options(int? budget) => new(MlpPreset.Classic)
        {
            HiddenLayers = [16], Epochs = 3, BatchSize = 64, Seed = 3, NumberOfThreads = 1,
            ShuffleBlockRows = 64, MemoryBudgetMegabytes = budget, ClassWeighting = ClassWeighting.Balanced,
        };
        var ml = new MLContext(1);
        var log = CaptureLog(ml);
        var streamed = ml.BinaryClassification.Trainers.Mlp(Options(1)).Fit(data).Model;
        Assert.Contains(log, m => m.Contains("streamed: a window of 2570 rows") && m.Contains("2 passes over the data per epoch"));
        var inMemory = new MLContext(1).BinaryClassification.Trainers.Mlp(Options(null)).Fit(data).Model;

        Assert.Equal(inMemory.FeatureMeans, streamed.FeatureMeans);
        Assert.Equal(inMemory.FeatureScales, streamed.FeatureScales);
        Assert.Equal(inMemory.History.Epochs.Select(e => e.TrainLoss), streamed.History.Epochs.Select(e => e.TrainLoss));
        var a = inMemory.Network.StateBuffers();
        var b = streamed.Network.StateBuffers();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void StreamedRegressionWithAHashValidationSplitLearns()
    {
        var data = new SyntheticDataView(40_000, 8, seed: 2, regression: true); // 1.6 MB > the 1 MB budget
        var ml = new MLContext(1);
        var log = CaptureLog(ml);
        var model = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options(MlpPreset.Classic)
        {
            HiddenLayers = [32], Epochs = 8, BatchSize = 64, Seed = 1, MemoryBudgetMegabytes = 1, ValidationFraction = 0.2f,
            Optimizer = Optimizer.Adam(3e-3f), EarlyStopping = new EarlyStopping { Monitor = ValidationMonitor.RSquared },
        }).Fit(data);
        var line = Assert.Single(log, m => m.Contains("training rows"));
        output.WriteLine(line);
        Assert.Contains("streamed", line);
        Assert.All(model.History.Epochs, e => Assert.NotNull(e.ValidationLoss));
        // About 20 % held out by the row hash.
        long validationRows = long.Parse(line.Split(" validation rows")[0].Split(' ')[^1]);
        Assert.InRange(validationRows, 7400, 8600);
        var metrics = ml.Regression.Evaluate(model.Transform(new SyntheticDataView(5000, 8, seed: 99, regression: true)));
        output.WriteLine($"R² {metrics.RSquared:F4}");
        Assert.True(metrics.RSquared > 0.8, $"R² {metrics.RSquared}");
    }

    private sealed class Row
    {
        [VectorType(100)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    [Fact]
    public void StreamedTrainingSkipsNonFiniteRowsIdenticallyOnEveryPassAndLogsTheCount()
    {
        // 5,000 × 100 ≈ 2 MB > the 1 MB budget: streamed, 2 passes per epoch. Bad rows in the first, the middle
        // and the last block and in both windows' rows, so a pass that skipped differently would shift every later row.
        var source = new SyntheticDataView(5000, 100, seed: 5);
        var x = source.GetColumn<float[]>("Features").ToArray();
        var y = source.GetColumn<bool>("Label").ToArray();
        int[] bad = [17, 70, 2600, 3131, 4999];
        x[17][5] = float.NaN;
        x[70][99] = float.PositiveInfinity;
        x[2600][0] = float.NegativeInfinity;
        x[3131][42] = float.NaN;
        x[4999][1] = float.NaN;
        var clean = Enumerable.Range(0, x.Length).Except(bad).ToArray();
        IDataView Data(MLContext ml, IEnumerable<int> rows) => ml.Data.LoadFromEnumerable(rows.Select(i => new Row { Features = x[i], Label = y[i] }).ToList());
        MlpBinaryTrainer.Options Options(int? budget, bool skip) => new(MlpPreset.Classic)
        {
            HiddenLayers = [16], Epochs = 3, BatchSize = 64, Seed = 3, NumberOfThreads = 1,
            ShuffleBlockRows = 64, MemoryBudgetMegabytes = budget, SkipRowsWithNonFiniteFeatures = skip,
        };

        var ml = new MLContext(1);
        var log = CaptureLog(ml);
        var streamed = ml.BinaryClassification.Trainers.Mlp(Options(1, skip: true)).Fit(Data(ml, Enumerable.Range(0, x.Length))).Model;
        Assert.Contains(log, m => m.Contains("streamed: a window of") && m.Contains("2 passes over the data per epoch"));
        string warning = Assert.Single(log, m => m.Contains("SkipRowsWithNonFiniteFeatures"));
        output.WriteLine(warning);
        Assert.Contains("skipped 5 training rows", warning);
        Assert.Contains("4995 training rows kept", warning);
        Assert.Contains("'Features'", warning);

        // The rows every pass yields are exactly the clean rows, in order: bit-identical to training in memory on them.
        var inMemory = new MLContext(1).BinaryClassification.Trainers.Mlp(Options(null, skip: false)).Fit(Data(ml, clean)).Model;
        Assert.Equal(inMemory.FeatureMeans, streamed.FeatureMeans);
        Assert.Equal(inMemory.FeatureScales, streamed.FeatureScales);
        Assert.Equal(inMemory.History.Epochs.Select(e => e.TrainLoss), streamed.History.Epochs.Select(e => e.TrainLoss));
        var a = inMemory.Network.StateBuffers();
        var b = streamed.Network.StateBuffers();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);

        // Explicit validation data is skipped (and counted) the same way.
        var vlog = CaptureLog(ml = new MLContext(1));
        ml.BinaryClassification.Trainers.Mlp(Options(1, skip: true)).Fit(Data(ml, Enumerable.Range(0, x.Length)), Data(ml, Enumerable.Range(0, 200)));
        Assert.Contains("skipped 5 training rows and 2 validation rows", Assert.Single(vlog, m => m.Contains("SkipRowsWithNonFiniteFeatures")));

        // Off (the default): the streamed path fails on the first bad row, naming column, row and slot.
        var e = Assert.Throws<InvalidOperationException>(() => new MLContext(1).BinaryClassification.Trainers.Mlp(Options(1, skip: false)).Fit(Data(ml, Enumerable.Range(0, x.Length))));
        Assert.Contains("Feature column 'Features', row 17, slot 5", e.Message);
    }
}

/// <summary>Runs alone, so the heap it measures is its own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "Memory measurement";
}

[Collection(MemoryMeasurementCollection.Name)]
public class StreamingMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void AMillionRowsTrainUnderA16MegabyteBudgetWithBoundedHeap()
    {
        // 1,000,000 × 20 features: 80 MB as floats in memory (88 MB with label and weight), never materialised here.
        var data = new SyntheticDataView(1_000_000, 20, seed: 1);
        var ml = new MLContext(1);
        var options = new MlpBinaryTrainer.Options(MlpPreset.Classic) { HiddenLayers = [16], Epochs = 1, BatchSize = 256, Seed = 1, MemoryBudgetMegabytes = 16, Optimizer = Optimizer.Adam(3e-3f) };

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peakLive = baseline, peakHeap = 0;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            do
            {
                peakLive = Math.Max(peakLive, GC.GetTotalMemory(forceFullCollection: true));
                peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
            }
            while (!done.Wait(50));
        }) { IsBackground = true };
        var clock = Stopwatch.StartNew();
        sampler.Start();
        var model = ml.BinaryClassification.Trainers.Mlp(options).Fit(data);
        clock.Stop();
        done.Set();
        sampler.Join();

        var metrics = ml.BinaryClassification.Evaluate(model.Transform(new SyntheticDataView(10_000, 20, seed: 42)));
        output.WriteLine($"1M×20 streamed, 16 MB budget, 1 epoch: {clock.Elapsed.TotalSeconds:F1} s; live heap peak {peakLive / 1e6:F1} MB " +
                         $"(baseline {baseline / 1e6:F1} MB); GC heap size peak {peakHeap / 1e6:F1} MB; holdout AUC {metrics.AreaUnderRocCurve:F4}");
        // Growth, not the absolute peak: what earlier tests left alive (20–40 MB) is not this Fit's.
        Assert.True(peakLive - baseline < 40_000_000, $"live heap grew by {(peakLive - baseline) / 1e6:F1} MB; loading the data would take 88 MB");
        Assert.True(metrics.AreaUnderRocCurve > 0.9, $"AUC {metrics.AreaUnderRocCurve}");
    }
}
