using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// The tabular recipe through ML.NET: the presets' values, the ensemble (members, folds, averaging, save/load, both
/// scoring paths, parallel = sequential, warm start, checkpoints, progress, streaming), and Classic reproducing the
/// release before it.
/// </summary>
public class TabularRecipeTests(ITestOutputHelper output)
{
    private static List<string> CaptureLog(MLContext ml)
    {
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        return log;
    }

    private static IDataView Wine(MLContext ml, out float[][] x, out float[] y)
    {
        (x, y) = Datasets.Load("wine.csv");
        var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
    }

    [Fact]
    public void TheTabularPresetIsTheDefaultAndClassicIsTheOldOne()
    {
        var b = new MlpBinaryTrainer.Options();
        var r = new MlpRegressionTrainer.Options();
        Assert.Equal(MlpPreset.Tabular, b.Preset);
        Assert.Equal([64, 64], b.HiddenLayers);
        Assert.Equal(Activation.Selu, b.Activation);
        Assert.Equal(Activation.Mish, r.Activation);
        Assert.Equal(0.04, b.Optimizer.LearningRate, 12);
        Assert.Equal(0.07, r.Optimizer.LearningRate, 12);
        Assert.Equal(0.95, Assert.IsType<AdamOptimizer>(b.Optimizer).Beta2);
        Assert.Equal("coslog(4)", b.Schedule.ToString());
        Assert.Equal((Parametrization.NeuralTangent, true, FeatureNormalization.Robust, NumericEmbedding.Periodic), (b.Parametrization, b.LearnFeatureScales, b.FeatureNormalization, b.NumericEmbedding));
        Assert.Equal((256, (int?)null, 0.2f, 4, 0f, 0.1f), (b.BatchSize, b.Epochs, b.ValidationFraction, b.EnsembleSize, b.L2, b.LabelSmoothing));
        Assert.Null(b.EarlyStopping);
        Assert.Equal(0.1f, new MlpMulticlassTrainer.Options().LabelSmoothing);

        var c = new MlpMulticlassTrainer.Options(MlpPreset.Classic);
        Assert.Equal(MlpPreset.Classic, c.Preset);
        Assert.Equal([128, 64], c.HiddenLayers);
        Assert.Equal(Activation.Relu, c.Activation);
        Assert.Equal(1e-3, c.Optimizer.LearningRate, 12);
        Assert.Equal((32, (int?)100, 0f, 1, 1e-3f, 0f), (c.BatchSize, c.Epochs, c.ValidationFraction, c.EnsembleSize, c.L2, c.LabelSmoothing));
        Assert.Equal((Parametrization.Standard, false, FeatureNormalization.Standard, NumericEmbedding.None), (c.Parametrization, c.LearnFeatureScales, c.FeatureNormalization, c.NumericEmbedding));
        Assert.NotNull(c.EarlyStopping);
        Assert.Equal("constant", c.Schedule.ToString());

        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpBinaryTrainer.Options((MlpPreset)7));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void EnsembleSizeOutOfRangeNamesTheOption(int size)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpBinaryTrainer.Options { EnsembleSize = size }.Validate());
        Assert.Equal("EnsembleSize", e.ParamName);
        var epochs = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpBinaryTrainer.Options { Epochs = 0 }.Validate());
        Assert.Equal("Epochs", epochs.ParamName);
        var embedding = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpBinaryTrainer.Options { NumericEmbedding = (NumericEmbedding)9 }.Validate());
        Assert.Equal("NumericEmbedding", embedding.ParamName);
    }

    [Fact]
    public void AutomaticEpochsFollowTheStepBudget()
    {
        var o = new MlpBinaryTrainer.Options();
        Assert.Equal(MlpOptionsBase.MaxAutoEpochs, o.EpochsFor(100));                // 1 batch per epoch
        Assert.Equal(2048 / 16, o.EpochsFor(16 * 256));                             // 16 batches → 128
        Assert.Equal((2048 + 99) / 100, o.EpochsFor(100 * 256));                    // 100 batches → 21
        Assert.Equal(MlpOptionsBase.MinAutoEpochs, o.EpochsFor(10_000_000));
        o.Epochs = 7;
        Assert.Equal(7, o.EpochsFor(100));
    }

    [Fact]
    public void DefaultMlpIsAnEnsembleOfFourEachValidatedOnItsOwnFold()
    {
        var ml = new MLContext(3);
        var log = CaptureLog(ml);
        var data = Wine(ml, out _, out _);
        var reports = new List<EpochReport>();
        var options = new MlpMulticlassTrainer.Options { Epochs = 6, Progress = new Synchronous<EpochReport>(reports.Add) };
        var model = ml.MulticlassClassification.Trainers.Mlp(options).Fit(data).Model;

        Assert.Equal(4, model.EnsembleSize);
        Assert.Equal(4, model.MemberHistories.Count);
        Assert.Same(model.MemberHistories[0], model.History);
        Assert.All(model.MemberHistories, h => Assert.Equal(6, h.Epochs.Count));
        Assert.All(model.MemberHistories, h => Assert.All(h.Epochs, e => Assert.NotNull(e.ValidationLoss)));
        // Every member reports every epoch, tagged with its member number.
        Assert.Equal(24, reports.Count);
        Assert.Equal([0, 1, 2, 3], reports.Select(r => r.Member).Distinct().Order());
        Assert.All(Enumerable.Range(0, 4), m => Assert.Equal([1, 2, 3, 4, 5, 6], reports.Where(r => r.Member == m).Select(r => r.Epoch)));
        // The log names each member, its rows (a fifth of the 178 held out, stratified) and the embedded network.
        var lines = log.Where(l => l.Contains("training rows")).ToList();
        Assert.Equal(4, lines.Count);
        for (int m = 1; m <= 4; m++) Assert.Single(lines, l => l.Contains($"member {m}/4"));
        Assert.All(lines, l => Assert.Matches(@": 14[0-5] training rows, 3[3-8] validation rows", l));
        // 13 numeric features: embedded (3 values each) and scaled, so the first layer sees 13 + 3·13 inputs.
        Assert.Equal(Enumerable.Range(0, 13).ToArray(), model.Spec.EmbeddedFeatures);
        Assert.Equal(13 + 3 * 13, model.Network.DenseLayers[0].InputSize);
        Assert.True(model.FeaturesSmoothClipped);
    }

    [Fact]
    public void ManyNumericFeaturesAreNotEmbeddedAndTheLogSaysSo()
    {
        var ml = new MLContext(1);
        var log = CaptureLog(ml);
        var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { Epochs = 1, EnsembleSize = 1 })
            .Fit(new SyntheticDataView(300, MlpOptionsBase.MaxEmbeddedFeatures + 1, seed: 2)).Model;
        Assert.Empty(model.Spec.EmbeddedFeatures);
        Assert.Contains(log, l => l.Contains($"{MlpOptionsBase.MaxEmbeddedFeatures + 1} numeric features exceed {MlpOptionsBase.MaxEmbeddedFeatures}"));
        var few = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { Epochs = 1, EnsembleSize = 1 })
            .Fit(new SyntheticDataView(300, 12, seed: 2)).Model;
        Assert.Equal(Enumerable.Range(0, 12).ToArray(), few.Spec.EmbeddedFeatures);
    }

    [Fact]
    public void EnsembleFoldsAreDisjointStratifiedAndCoverEveryRow()
    {
        var targets = Enumerable.Range(0, 103).Select(i => (float)(i % 3 == 0 ? 0 : i % 7 == 0 ? 2 : 1)).ToArray();
        var seen = new int[targets.Length];
        for (int m = 0; m < 5; m++)
        {
            var (train, validation) = ValidationSplit.Fold(targets, targets.Length, 0.2f, stratified: true, seed: 4, member: m);
            Assert.Equal(targets.Length, train.Length + validation.Length);
            Assert.Empty(train.Intersect(validation));
            foreach (int r in validation) seen[r]++;
            for (int c = 0; c < 3; c++)
            {
                int all = targets.Count(t => t == c), held = validation.Count(r => targets[r] == c);
                Assert.InRange(held, all / 5, all / 5 + 1); // a fifth of every class
            }
        }
        Assert.All(seen, s => Assert.Equal(1, s)); // five members: every row validated exactly once
        // A sixth member starts a new round with a fresh shuffle: a different fold from member 0's.
        Assert.NotEqual(ValidationSplit.Fold(targets, targets.Length, 0.2f, true, 4, 0).Validation, ValidationSplit.Fold(targets, targets.Length, 0.2f, true, 4, 5).Validation);
        Assert.Equal(5, ValidationSplit.FoldCount(0.2f));
        Assert.Equal(3, ValidationSplit.FoldCount(0.3f));
    }

    [Fact]
    public void TheEnsembleAveragesItsMembersProbabilities()
    {
        var ml = new MLContext(5);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var rows = Enumerable.Range(0, y.Length);
        var binary = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { Epochs = 4, EnsembleSize = 3 }).Fit(MLData.Bool(ml, x, y, rows));
        var wine = Wine(ml, out var wx, out _);
        var multi = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { Epochs = 4, EnsembleSize = 3 }).Fit(wine);
        var (cx, cy) = Datasets.Load("concrete.csv");
        var regression = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { Epochs = 4, EnsembleSize = 3 }).Fit(MLData.Float(ml, cx, cy, Enumerable.Range(0, cy.Length)));

        // Each member scored alone (its own compiled network after the shared feature transform), then averaged by hand.
        static double[][] Members(MlpModelParameters model, float[] raw)
        {
            var input = new float[raw.Length];
            model.Features.Apply(raw, input);
            return model.Inferences.Select(n =>
            {
                var o = new float[model.OutputSize];
                n.Forward(input, o, n.CreateScratch());
                return o.Select(v => (double)v).ToArray();
            }).ToArray();
        }

        var probability = binary.Transform(MLData.Bool(ml, x, y, rows)).GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < 20; i++)
        {
            double mean = Members(binary.Model, x[i]).Average(z => 1 / (1 + Math.Exp(-z[0])));
            Assert.Equal(mean, probability[i], 5);
        }
        var scores = multi.Transform(wine).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < 20; i++)
        {
            var members = Members(multi.Model, wx[i]);
            for (int c = 0; c < 3; c++)
            {
                double mean = members.Average(z => Math.Exp(z[c]) / z.Sum(Math.Exp));
                Assert.Equal(mean, scores[i][c], 5);
            }
            Assert.Equal(1.0, scores[i].Sum(), 5);
        }
        var values = regression.Transform(MLData.Float(ml, cx, cy, Enumerable.Range(0, cy.Length))).GetColumn<float>("Score").ToArray();
        for (int i = 0; i < 20; i++)
        {
            double mean = Members(regression.Model, cx[i]).Average(z => z[0]) * regression.Model.LabelScale + regression.Model.LabelMean;
            Assert.Equal(mean, values[i], 3);
        }
    }

    [Fact]
    public void EnsemblesSaveLoadAndScoreTheSameBitsRowByRowAndInBlocks()
    {
        var ml = new MLContext(6);
        var data = Wine(ml, out var x, out var y);
        var model = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { Epochs = 5 }).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnbp-ensemble-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext(1).RegisterBackprop().Model.Load(path, out _);
            var a = model.Transform(data).GetColumn<float[]>("Score").ToArray();
            var b = loaded.Transform(data).GetColumn<float[]>("Score").ToArray();
            Assert.Equal(a, b); // block scoring, before and after the round trip
            var engine = ml.Model.CreatePredictionEngine<MLData.FloatRow, Prediction>(loaded);
            for (int i = 0; i < x.Length; i += 7)
                Assert.Equal(a[i], engine.Predict(new MLData.FloatRow { Features = x[i], Label = y[i] }).Score); // one row at a time
            var parameters = Assert.IsType<MlpMulticlassPredictionTransformer>(loaded, exactMatch: false).Model;
            Assert.Equal(4, parameters.EnsembleSize);
            Assert.Equal(model.Model.MemberHistories.Select(h => h.Epochs.Count), parameters.MemberHistories.Select(h => h.Epochs.Count));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ScoringARowOfAnEnsembleAllocatesNothing()
    {
        var ml = new MLContext(6);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var binary = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { Epochs = 2 }).Fit(MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length))).Model;
        var wine = Wine(ml, out var wx, out _);
        var multi = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { Epochs = 2 }).Fit(wine).Model;
        foreach (var (model, rows) in new[] { (binary, x), (multi, wx) })
        {
            var scratch = new MlpModelParameters.Scratch(model);
            var output = new float[model.OutputSize];
            long least = long.MaxValue;
            for (int attempt = 0; attempt < 3 && least != 0; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int r = 0; r < 10; r++) model.Forward(rows[r], output, scratch);
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.Equal(0, least);
        }
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void MembersTrainedInParallelEqualMembersTrainedOneAfterAnother()
    {
        float[][] Scores(int threads)
        {
            var ml = new MLContext(2);
            var data = Wine(ml, out _, out _);
            return ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { Epochs = 5, Seed = 11, NumberOfThreads = threads })
                .Fit(data).Transform(data).GetColumn<float[]>("Score").ToArray();
        }
        // One thread: the members one after the other; two: two members at a time, each on one thread.
        Assert.Equal(Scores(1), Scores(2));
    }

    [Fact]
    public void WarmStartContinuesEveryMemberAndNeedsTheSameSize()
    {
        var ml = new MLContext(4);
        var data = Wine(ml, out _, out _);
        var trainer = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { Epochs = 3, Seed = 1 });
        var first = trainer.Fit(data);
        var more = trainer.Fit(data, first.Model);
        Assert.Equal(4, more.Model.EnsembleSize);
        Assert.Equal(first.Model.Spec.EmbeddedFeatures, more.Model.Spec.EmbeddedFeatures);
        for (int m = 0; m < 4; m++) Assert.NotEqual(first.Model.Members[m].StateBuffers()[^2], more.Model.Members[m].StateBuffers()[^2]);
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { Epochs = 3, EnsembleSize = 2 }).Fit(data, first.Model));
        Assert.Contains("EnsembleSize", e.Message);
        Assert.Equal("modelParameters", e.ParamName);
    }

    [Fact]
    public void AnInterruptedEnsembleResumesFromItsMembersCheckpoints()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnbp-ckpt-{Guid.NewGuid():N}");
        try
        {
            var (x, y) = Datasets.Load("breast_cancer.csv");
            float[] Scores(CancellationTokenSource? stopAfterEpoch3, bool resume)
            {
                var ml = new MLContext(7);
                var data = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
                var options = new MlpBinaryTrainer.Options
                {
                    Epochs = 8, Seed = 7, EnsembleSize = 2, NumberOfThreads = 1, CheckpointPath = path, ResumeFromCheckpoint = resume,
                    CancellationToken = stopAfterEpoch3?.Token ?? default,
                    Progress = new Synchronous<EpochReport>(r => { if (r.Member == 1 && r.Epoch == 3) stopAfterEpoch3?.Cancel(); }),
                };
                return ml.BinaryClassification.Trainers.Mlp(options).Fit(data).Transform(data).GetColumn<float>("Score").ToArray();
            }
            var straight = Scores(null, resume: false);
            File.Delete(path + ".member1");
            File.Delete(path + ".member2");
            using var cancel = new CancellationTokenSource();
            Assert.ThrowsAny<OperationCanceledException>(() => Scores(cancel, resume: false)); // member 1 done, member 2 stopped after epoch 3
            Assert.True(File.Exists(path + ".member1") && File.Exists(path + ".member2"));
            Assert.False(File.Exists(path));
            Assert.Equal(3, TrainingCheckpoint.Load(path + ".member2").EpochsCompleted);
            Assert.Equal(straight, Scores(null, resume: true));
        }
        finally
        {
            File.Delete(path + ".member1");
            File.Delete(path + ".member2");
        }
    }

    [Fact]
    public void StreamedEnsembleEqualsInMemoryWithTheSameBlockShuffle()
    {
        // 5,000 × (60 features + label + weight) × 4 bytes ≈ 1.24 MB > the 1 MB budget: streamed.
        var data = new SyntheticDataView(5000, 60, seed: 8);
        MlpBinaryTrainer.Options Options(int? budget) => new()
        {
            Epochs = 2, Seed = 3, NumberOfThreads = 1, ShuffleBlockRows = 64, MemoryBudgetMegabytes = budget, ValidationFraction = 0, EnsembleSize = 2,
        };
        var ml = new MLContext(1);
        var log = CaptureLog(ml);
        var streamed = ml.BinaryClassification.Trainers.Mlp(Options(1)).Fit(data).Model;
        Assert.Equal(2, log.Count(m => m.Contains("streamed: a window of")));
        var inMemory = new MLContext(1).BinaryClassification.Trainers.Mlp(Options(null)).Fit(data).Model;
        Assert.Equal(inMemory.FeatureMeans, streamed.FeatureMeans);
        Assert.Equal(inMemory.FeatureScales, streamed.FeatureScales);
        Assert.Equal(inMemory.Spec.EmbeddedFeatures, streamed.Spec.EmbeddedFeatures);
        for (int m = 0; m < 2; m++)
        {
            var a = inMemory.Members[m].StateBuffers();
            var b = streamed.Members[m].StateBuffers();
            for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
        }
    }

    [Fact]
    public void StreamedEnsembleMembersHoldOutTheirHashFolds()
    {
        var data = new SyntheticDataView(20_000, 20, seed: 3); // 1.76 MB > the 1 MB budget
        var ml = new MLContext(1);
        var log = CaptureLog(ml);
        var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { Epochs = 2, Seed = 5, MemoryBudgetMegabytes = 1, EnsembleSize = 3 }).Fit(data);
        var lines = log.Where(l => l.Contains("training rows")).ToList();
        Assert.Equal(3, lines.Count);
        var held = lines.Select(l => long.Parse(l.Split(" validation rows")[0].Split(' ')[^1], CultureInfo.InvariantCulture)).ToArray();
        output.WriteLine(string.Join("; ", lines));
        Assert.All(held, h => Assert.InRange(h, 3600, 4400)); // each about a fifth, by the row hash
        Assert.Equal(3, model.Model.EnsembleSize);
        var auc = ml.BinaryClassification.Evaluate(model.Transform(new SyntheticDataView(3000, 20, seed: 99))).AreaUnderRocCurve;
        Assert.True(auc > 0.9, $"AUC {auc}");
    }

    [Theory]
    [InlineData("multiclass-batchnorm-dropout")]
    [InlineData("binary")]
    [InlineData("regression")]
    public void ClassicRetrainsTheReleaseBeforeTheRecipeBitForBit(string name)
    {
        // The options of Data/models/release-a590028/FixtureGen.cs.txt on top of the Classic preset: the same model, so the
        // same scores as that release wrote down.
        var ml = new MLContext(1);
        IDataView view;
        ITransformer model;
        switch (name)
        {
            case "multiclass-batchnorm-dropout":
            {
                var (x, y) = Datasets.Load("wine.csv");
                view = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
                model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.BatchNormalize("Normalized", "Features"))
                    .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options(MlpPreset.Classic)
                    {
                        FeatureColumnName = "Normalized", HiddenLayers = [16, 8], BatchNorm = true, Dropout = 0.1f, Epochs = 15, Seed = 1, NumberOfThreads = 1,
                        FeatureNormalization = FeatureNormalization.None, ValidationFraction = 0.2f,
                    })).Fit(view);
                break;
            }
            case "binary":
            {
                var (x, y) = Datasets.Load("breast_cancer.csv");
                view = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
                model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options(MlpPreset.Classic) { HiddenLayers = [8], Epochs = 10, Seed = 2, NumberOfThreads = 1 }).Fit(view);
                break;
            }
            default:
            {
                var (x, y) = Datasets.Load("concrete.csv");
                view = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
                model = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options(MlpPreset.Classic) { HiddenLayers = [8, 8], Epochs = 10, Seed = 3, NumberOfThreads = 1, Activation = Activation.Tanh }).Fit(view);
                break;
            }
        }
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "models", "release-a590028", name + ".scores.csv"));
        var expected = lines.Skip(1).Select(l => l.Split(',')[0]).ToArray(); // the Score column
        var scored = model.Transform(view);
        var column = scored.Schema["Score"];
        var actual = column.Type is VectorDataViewType
            ? scored.GetColumn<float[]>(column).Take(40).Select(v => string.Join(" ", v.Select(Bits))).ToArray()
            : scored.GetColumn<float>(column).Take(40).Select(Bits).ToArray();
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            Assert.Equal(expected, actual);
            return;
        }
        // The release trained on an FMA machine, and the engine uses FMA exactly when the hardware has it (GEMM and scoring
        // alike): without FMA every product rounds differently, so the same training cannot give the same bits. Say so, and
        // hold the scores to the release's within a tolerance instead (Single rounding compounded over the epochs).
        static float[] Values(string cell) => cell.Split(' ').Select(b => BitConverter.Int32BitsToSingle(int.Parse(b, CultureInfo.InvariantCulture))).ToArray();
        var want = expected.SelectMany(Values).ToArray();
        var got = actual.SelectMany(Values).ToArray();
        Assert.Equal(want.Length, got.Length);
        double worst = want.Zip(got).Max(p => Math.Abs(p.First - p.Second) / Math.Max(1e-3, Math.Abs(p.First)));
        output.WriteLine($"No FMA on this machine (or disabled: DOTNET_EnableAVX2=0): the release's bits cannot be reproduced; " +
                         $"the scores agree within {worst:E2} relative (allowed {NoFmaTolerance:E0}).");
        Assert.True(worst <= NoFmaTolerance, $"scores differ from the release's by {worst:E2} relative");
    }

    /// <summary>How far a release score may be from one retrained without FMA, relative (see the test; measured up to 6e-4).</summary>
    private const double NoFmaTolerance = 3e-3;

    private static string Bits(float v) => BitConverter.SingleToInt32Bits(v).ToString(CultureInfo.InvariantCulture);

    private sealed class Synchronous<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
