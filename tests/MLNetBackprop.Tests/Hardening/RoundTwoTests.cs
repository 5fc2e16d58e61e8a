using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;
using MLNetBackprop.Tests.MLNet;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>
/// Hardening, round two (issue 11): a forged checkpoint is refused before it is allocated, absurd networks and data sizes
/// fail early naming what to change, a lying row count allocates nothing extra, all-zero weights are refused, an empty
/// checkpoint path is an option error. (Reading the caller's rows once is in <c>MLNet/OnePassScoringTests</c>.)
/// </summary>
public class RoundTwoTests
{
    /// <summary>A checkpoint (a well-framed, checksummed payload) with only a spec in it: inputs → [hidden] → 2, nothing after.</summary>
    private static byte[] ForgedCheckpoint(int inputs, int hidden)
    {
        var w = new MLNetBackprop.Internals.PayloadWriter(TrainingCheckpoint.Kind, TrainingCheckpoint.FormatVersion);
        NetworkSpecCodec.Write(w, new NetworkSpec { InputSize = inputs, HiddenLayers = [hidden], OutputSize = 2 });
        return w.ToArray();
    }

    [Theory]
    [InlineData(16384, 16384)]
    [InlineData(46000, 46000)]
    [InlineData(65536, 65536)]
    public void AForgedCheckpointIsRefusedBeforeItsNetworkIsAllocated(int inputs, int hidden)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnbp-forged-{Guid.NewGuid():N}.ckpt");
        try
        {
            var file = ForgedCheckpoint(inputs, hidden);
            Assert.True(file.Length < 200);
            File.WriteAllBytes(path, file);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains("spec", e.Message);
            Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated for a {file.Length}-byte file");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AWeightMatrixTooLargeForAnArrayNamesHiddenLayers()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { HiddenLayers = [100_000, 100_000], EnsembleSize = 1 }).Fit(data));
        Assert.Equal("HiddenLayers", e.ParamName);
        Assert.Contains("narrower", e.Message);
    }

    [Fact]
    public void ANetworkLargerThanTheMemoryIsRefusedNamingHiddenLayers()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        // Wide enough that value + gradient + best copy + 3 optimizer slots for every network training at once need twice
        // the memory this process may use, each matrix still fitting an array.
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        int parallel = 64;
        long width = (long)Math.Ceiling(Math.Sqrt(2.0 * available / (24.0 * parallel)));
        width = Math.Clamp(width, 1000, 46_000);
        var options = new MlpRegressionTrainer.Options { HiddenLayers = [(int)width, (int)width], EnsembleSize = parallel, NumberOfThreads = parallel };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.Mlp(options).Fit(data));
        Assert.Equal("HiddenLayers", e.ParamName);
        Assert.Contains("GB", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20);
    }

    public sealed class ManyClassRow
    {
        [VectorType(4)] public float[] Features { get; set; } = [];
        [KeyType(20_000_000)] public uint Label { get; set; }
    }

    [Fact]
    public void ALabelWithMillionsOfClassesIsRefusedNamingTheLabelColumn()
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 50).Select(i => new ManyClassRow { Features = [i, i % 3, i % 5, 1], Label = (uint)(1 + i * 397_000) }).ToList();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { NumberOfThreads = 1 }).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Equal("Label", e.ParamName);
        Assert.Contains("at most 1,048,576 outputs (classes)", e.Message); // refused by the spec's limit, before any allocation
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 512L << 20, "refused before the output layer was allocated");
    }

    [Fact]
    public void AViewThatOverstatesItsRowCountAllocatesNoMoreThanItsRows()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("wine.csv");
        var data = new OverstatedRowCountView(MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)), 400_000_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var dataset = TrainingDataReader.Read(data, TrainingDataReader.CheckSchema(data.Schema, TaskKind.Regression, "Features", "Label", null), TaskKind.Regression, false, out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(y.Length, dataset.Rows);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes for {y.Length} rows");
    }

    public sealed class WeightedRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }

        public float Weight { get; set; }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AllZeroExampleWeightsAreRefusedNamingTheColumn(bool streamed)
    {
        // 60,000 rows × (4 features + label + weight) × 4 bytes = 1.4 MB: streamed under a 1 MB budget.
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, streamed ? 60_000 : 3000).Select(i => new WeightedRow { Features = [i, i % 7, 1, 2], Label = i % 3, Weight = 0 }).ToList();
        var options = new MlpRegressionTrainer.Options { ExampleWeightColumnName = "Weight", Epochs = 1, MemoryBudgetMegabytes = streamed ? 1 : null };
        var e = Assert.Throws<InvalidOperationException>(() => ml.Regression.Trainers.Mlp(options).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Weight'", e.Message);
        Assert.Contains("is 0", e.Message);
    }

    [Theory]
    [InlineData("BatchSize")]
    [InlineData("Optimizer")]
    [InlineData("Seed")]
    [InlineData("L2")]
    [InlineData("data")]
    [InlineData("ValidationFraction")]
    [InlineData("FeatureNormalization")]
    [InlineData("HiddenLayers")]
    [InlineData("Epochs")]
    public void AResumeOfADifferentRunIsRefusedNamingTheDifference(string change)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnbp-resume-{Guid.NewGuid():N}.ckpt");
        try
        {
            var (x, y) = Datasets.Load("wine.csv");
            var ml = new MLContext(7);
            IDataView Data(int rows) => MLData.Bool(ml, x, y, Enumerable.Range(0, rows));
            MlpBinaryTrainer.Options Options() => new(MlpPreset.Classic) { HiddenLayers = [8], Epochs = 3, Seed = 7, CheckpointPath = path, NumberOfThreads = 1 };
            ml.BinaryClassification.Trainers.Mlp(Options()).Fit(Data(y.Length));
            Assert.True(File.Exists(path));

            var options = Options();
            options.ResumeFromCheckpoint = true;
            options.Epochs = 5;
            int rows = y.Length;
            switch (change)
            {
                case "BatchSize": options.BatchSize = 16; break;
                case "Optimizer": options.Optimizer = Optimizer.Adam(2e-3); break;
                case "Seed": options.Seed = 8; break;
                case "L2": options.L2 = 0.5f; break;
                case "data": rows = y.Length - 10; break;
                case "ValidationFraction": options.ValidationFraction = 0.2f; break;
                case "FeatureNormalization": options.FeatureNormalization = FeatureNormalization.Robust; break;
                case "HiddenLayers": options.HiddenLayers = [9]; break;
                case "Epochs": options.Epochs = 2; break;
            }
            var e = Assert.ThrowsAny<ArgumentException>(() => ml.BinaryClassification.Trainers.Mlp(options).Fit(Data(rows)));
            string expected = change switch
            {
                "data" or "ValidationFraction" or "FeatureNormalization" => "training data differs", // other rows, or other values in them
                "Epochs" => "Epochs is 2",
                _ => change,
            };
            Assert.Contains(expected, e.Message);

            // The same run resumes.
            var same = Options();
            same.ResumeFromCheckpoint = true;
            same.Epochs = 5;
            Assert.Equal(5, ml.BinaryClassification.Trainers.Mlp(same).Fit(Data(y.Length)).History.Epochs.Count);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AnEmptyCheckpointPathIsAnOptionError()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { CheckpointPath = " " }));
        Assert.Equal("CheckpointPath", e.ParamName);
    }

    /// <summary>Item 9: a streamed source that yields more rows on a later pass than when counted.</summary>
    [Theory]
    [InlineData(1)]  // grows between the counting pass and the statistics pass
    [InlineData(3)]  // grows during training: the epoch's pass over the last block sees the extra rows
    [InlineData(-1)] // shrinks during training (already caught; kept for symmetry)
    public void StreamedRowsThatAppearOrVanishMidRunAreRefused(int change)
    {
        // 4,000 × 100 features ≈ 1.6 MB > the 1 MB budget: streamed.
        const int rows = 4000;
        int grownFrom = change == 1 ? 1 : 4; // cursor index from which the source has changed
        var data = new SyntheticDataView(rows, 100, seed: 2)
        {
            RowsOfCursor = k => k < grownFrom ? rows : change < 0 ? rows - 100 : rows + 100,
        };
        var options = new MlpBinaryTrainer.Options(MlpPreset.Classic)
        {
            HiddenLayers = [8], Epochs = 3, BatchSize = 64, Seed = 1, NumberOfThreads = 1, MemoryBudgetMegabytes = 1,
            ValidationFraction = 0,
        };
        var e = Assert.Throws<InvalidOperationException>(() => new MLContext(1).BinaryClassification.Trainers.Mlp(options).Fit(data));
        Assert.Contains("same rows on every pass", e.Message);
        Assert.Contains(change < 0 ? "ended after" : "4000", e.Message);
        if (change == 3) Assert.Contains("rows appeared during training", e.Message);

        // The same source, unchanged, trains.
        var steady = new SyntheticDataView(rows, 100, seed: 2);
        Assert.Equal(3, new MLContext(1).BinaryClassification.Trainers.Mlp(options).Fit(steady).Model.History.Epochs.Count);
    }

    /// <summary>Item 10: features near ±float.MaxValue — standardised or robust-scaled they train; raw they overflow the network, and the message says so.</summary>
    [Fact]
    public void FeaturesNearTheFloatLimitTrainWhenNormalisedAndNameTheSlotWhenNot()
    {
        var ml = new MLContext(1);
        var x = new float[200][];
        var y = new float[200];
        var r = new Random(3);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = [(float)r.NextDouble(), i % 2 == 0 ? 3e38f : -3e38f, (float)r.NextDouble(), (float)r.NextDouble()]; // FloatRow has 4 slots
            y[i] = x[i][0] + (i % 2);
        }
        var data = HardeningData.FloatData(ml, x, y);
        foreach (var normalization in new[] { FeatureNormalization.Standard, FeatureNormalization.Robust })
        {
            var options = new MlpRegressionTrainer.Options(MlpPreset.Classic) { Epochs = 3, Seed = 1, FeatureNormalization = normalization };
            var scores = ml.Regression.Trainers.Mlp(options).Fit(data).Transform(data).GetColumn<float>("Score").ToArray();
            Assert.All(scores, s => Assert.True(float.IsFinite(s), $"{normalization}: {s}"));
        }
        var raw = new MlpRegressionTrainer.Options(MlpPreset.Classic) { Epochs = 3, Seed = 1, FeatureNormalization = FeatureNormalization.None };
        var e = Assert.Throws<TrainingDivergedException>(() => ml.Regression.Trainers.Mlp(raw).Fit(data));
        Assert.Contains("feature column 'Features' slot 1", e.Message);
        Assert.Contains("FeatureNormalization None", e.Message);
        Assert.Contains("not a learning-rate problem", e.Message);
        Assert.DoesNotContain("Try a lower learning rate", e.Message);
    }

    /// <summary>Item 10: a stored slope or weight that is finite but absurd is refused at load, naming the layer; a trained model passes.</summary>
    [Theory]
    [InlineData("slope")]
    [InlineData("weight")]
    public void AFiniteButAbsurdStoredParameterIsRefusedAtLoad(string forged)
    {
        var ml = new MLContext(1);
        var spec = new NetworkSpec
        {
            InputSize = HardeningData.D, HiddenLayers = [8], Activation = Activation.LeakyRelu, OutputSize = 1, Loss = LossKind.MeanSquaredError,
        };
        // Ordinary weights; the forged file then claims a slope (or holds one weight) near float's limit.
        var network = Network.ForLoading(spec with { LeakyReluSlope = forged == "slope" ? 3.4e38f : 0.01f });
        network.LoadState(new Network(spec, seed: 1).StateBuffers());
        if (forged == "weight") network.Layers.OfType<Dense>().Last().Weight.Value[3] = 3e38f;
        var model = new MlpModelParameters(network, FeatureTransform.Identity(HardeningData.D), 0f, 1f, new TrainingHistory());
        var transformer = new MlpRegressionPredictionTransformer(ml, model, "Features");

        // What the check prevents: a finite input scores NaN or ±∞.
        var data = HardeningData.FloatData(ml, [[-100f, -100f, -100f, -100f], [100f, 100f, 100f, 100f]], [0f, 0f]);
        Assert.Contains(transformer.Transform(data).GetColumn<float>("Score"), v => !float.IsFinite(v));

        using var zip = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, zip);
        var e = Record.Exception(() => new MLContext(1).RegisterBackprop().Model.Load(new MemoryStream(zip.ToArray()), out _));
        var refused = Assert.IsType<InvalidDataException>(HardeningData.Root(e!));
        Assert.Contains(forged == "slope" ? "hidden layer 0 can scale its input by" : "the output layer can scale its input by 3E+38", refused.Message);
        Assert.Contains("beyond 1E+18", refused.Message);

        // A trained model's layers are far from the limit.
        var (x, y) = HardeningData.Iris();
        var trained = ml.Regression.Trainers.Mlp(HardeningData.Regression(epochs: 2)).Fit(HardeningData.FloatData(ml, x, y)).Model;
        Assert.All(trained.Inferences, i => Assert.True(i.LargestLayerGain(trained.Features.OutputBound).Gain < 1e6));
    }
}
