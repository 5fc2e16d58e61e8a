using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

public class PipelineTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static IDataView LoadIris(MLContext ml) =>
        ml.Data.LoadFromTextFile(Datasets.PathOf("iris.csv"), [
            new TextLoader.Column("SepalLength", DataKind.Single, 0),
            new TextLoader.Column("SepalWidth", DataKind.Single, 1),
            new TextLoader.Column("PetalLength", DataKind.Single, 2),
            new TextLoader.Column("PetalWidth", DataKind.Single, 3),
            new TextLoader.Column("Species", DataKind.Single, 4),
        ], separatorChar: ',', hasHeader: true);

    [Fact]
    public void MixedPipelineRoundTripsWithOurTypesAndIdenticalScores()
    {
        var ml = new MLContext(5);
        var data = ml.Data.Cache(LoadIris(ml));
        var pipeline = ml.Transforms.Concatenate("Raw", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth")
            .Append(ml.Transforms.NormalizeMinMax("Scaled", "Raw"))
            .Append(ml.Transforms.BatchNormalize("Features", "Scaled"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", "Species"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [16], Epochs = 100, BatchNorm = true, Dropout = 0.1f }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.True(metrics.MicroAccuracy > 0.9, $"iris training accuracy {metrics.MicroAccuracy:P1}");

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext().RegisterBackprop();
        var loaded = (TransformerChain<ITransformer>)fresh.Model.Load(stream, out var schema);
        Assert.Contains(loaded, t => t is BatchNormalizingTransformer);
        Assert.Contains(loaded, t => t is MlpMulticlassPredictionTransformer);
        var again = loaded.Transform(LoadIris(fresh));
        Assert.Equal(scored.GetColumn<float[]>("Score").ToArray(), again.GetColumn<float[]>("Score").ToArray());
        Assert.Equal(scored.GetColumn<float>("PredictedSpecies").ToArray(), again.GetColumn<float>("PredictedSpecies").ToArray());
        // Score slots are named after the label's key values.
        VBuffer<ReadOnlyMemory<char>> names = default;
        again.Schema["Score"].GetSlotNames(ref names);
        Assert.Equal(["0", "1", "2"], names.DenseValues().Select(n => n.ToString()));
    }

    [Fact]
    public void LoadingWithoutRegistrationFailsWithFormatException()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var model = ml.Regression.Trainers.Mlp(epochs: 2).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var error = Record.Exception(() => new MLContext().Model.Load(stream, out _));
        Assert.NotNull(error);
        var inner = error;
        while (inner is not null && inner is not FormatException) inner = inner.InnerException;
        Assert.NotNull(inner);
    }

    /// <summary>
    /// Each fold's reported metrics are its own model on its own held-out rows: the held-out sets partition the data, the
    /// fold's model re-scores its held-out rows to the stored scores, and the metrics recomputed here from those scores
    /// (accuracy, AUC by pair counting, RMSE / MAE / R²) are the reported ones; the folds' models differ, and each
    /// reaches a plausible value (classification above the majority class by far, regression R² well above the mean's 0).
    /// </summary>
    [Fact]
    public void CrossValidationReportsEachFoldsModelOnItsHeldOutRows()
    {
        var ml = new MLContext(3);
        var (x, y) = Datasets.Load("wine.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        string Key(float[] f) => string.Join(",", f);
        var allRows = x.Select(Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
        void AssertPartition<T>(IReadOnlyList<TrainCatalogBase.CrossValidationResult<T>> folds) where T : class
        {
            var heldOut = folds.SelectMany(f => f.ScoredHoldOutSet.GetColumn<float[]>("Features").Select(Key)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            Assert.Equal(allRows, heldOut);
        }
        float[] Rescored(ITransformer model, IDataView heldOut) => model.Transform(heldOut).GetColumn<float>("Score").ToArray();

        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [16], Epochs = 100 }));
        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 3);
        Assert.Equal(3, folds.Count);
        AssertPartition(folds);
        foreach (var f in folds)
        {
            var scores = f.ScoredHoldOutSet.GetColumn<float[]>("Score").ToArray();
            var labels = f.ScoredHoldOutSet.GetColumn<uint>("Label").ToArray();
            var mlp = ((IEnumerable<ITransformer>)f.Model).Last(); // the fold's chain ends with our transformer (its MapValueToKey already ran)
            Assert.Equal(scores, mlp.Transform(f.ScoredHoldOutSet).GetColumn<float[]>("Score").ToArray());
            double accuracy = scores.Zip(labels).Count(p => Array.IndexOf(p.First, p.First.Max()) == p.Second - 1) / (double)labels.Length;
            Assert.Equal(accuracy, f.Metrics.MicroAccuracy, 1e-12);
            Assert.True(f.Metrics.MicroAccuracy > 0.85, $"fold accuracy {f.Metrics.MicroAccuracy:P1}"); // the majority class is 40 %
        }

        var binData = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
        var binFolds = ml.BinaryClassification.CrossValidate(binData, ml.BinaryClassification.Trainers.Mlp(epochs: 20), numberOfFolds: 3);
        AssertPartition(binFolds);
        foreach (var f in binFolds)
        {
            var scores = f.ScoredHoldOutSet.GetColumn<float>("Score").ToArray();
            var labels = f.ScoredHoldOutSet.GetColumn<bool>("Label").ToArray();
            Assert.Equal(scores, Rescored(f.Model, f.ScoredHoldOutSet));
            var pos = scores.Where((_, i) => labels[i]).ToArray();
            var neg = scores.Where((_, i) => !labels[i]).ToArray();
            double auc = pos.Sum(p => neg.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0.0)) / ((double)pos.Length * neg.Length);
            Assert.Equal(auc, f.Metrics.AreaUnderRocCurve, 1e-9);
            Assert.Equal(scores.Zip(labels).Count(p => p.First > 0 == p.Second) / (double)labels.Length, f.Metrics.Accuracy, 1e-12);
            Assert.True(f.Metrics.AreaUnderRocCurve > 0.9, $"fold AUC {f.Metrics.AreaUnderRocCurve:F4}");
        }

        var regFolds = ml.Regression.CrossValidate(data, ml.Regression.Trainers.Mlp(epochs: 20), numberOfFolds: 3);
        Assert.Equal(3, regFolds.Count);
        AssertPartition(regFolds);
        foreach (var f in regFolds)
        {
            var scores = f.ScoredHoldOutSet.GetColumn<float>("Score").ToArray();
            var labels = f.ScoredHoldOutSet.GetColumn<float>("Label").ToArray();
            Assert.Equal(scores, Rescored(f.Model, f.ScoredHoldOutSet));
            double mean = labels.Average(l => (double)l);
            double ssRes = scores.Zip(labels).Sum(p => ((double)p.Second - p.First) * ((double)p.Second - p.First));
            double ssTot = labels.Sum(l => (l - mean) * (l - mean));
            output.WriteLine($"regression fold {f.Fold}: R² {f.Metrics.RSquared:F4}, RMSE {f.Metrics.RootMeanSquaredError:F4}, MAE {f.Metrics.MeanAbsoluteError:F4} ({labels.Length} rows)");
            Assert.Equal(Math.Sqrt(ssRes / labels.Length), f.Metrics.RootMeanSquaredError, 1e-9);
            Assert.Equal(scores.Zip(labels).Average(p => Math.Abs((double)p.Second - p.First)), f.Metrics.MeanAbsoluteError, 1e-9);
            Assert.Equal(1 - ssRes / ssTot, f.Metrics.RSquared, 1e-9);
            Assert.True(f.Metrics.RSquared > RegressionFoldR2, $"fold R² {f.Metrics.RSquared:F4}");
        }
        // Three models, three sets of rows: the folds' metrics differ.
        Assert.Equal(3, regFolds.Select(f => f.Metrics.RSquared).Distinct().Count());
    }

    /// <summary>The least R² a regression fold may reach on wine's class number (measured 0.84–0.87 over the folds; predicting the mean gives 0).</summary>
    private const double RegressionFoldR2 = 0.75;

    /// <summary>
    /// ML.NET's own PermutationFeatureImportance on our transformers: on wine's features with a label made from one of them
    /// (flavanoids, slot 6: the class by its tercile, the flag by its median, or 3× its value), that slot's permutation
    /// costs the most, by a margin over the runner-up.
    /// </summary>
    [Fact]
    public void PermutationFeatureImportanceRanksTheFeatureTheLabelIsMadeFromFirst()
    {
        const int informative = 6;
        var ml = new MLContext(3);
        var (x, _) = Datasets.Load("wine.csv");
        var values = x.Select(r => r[informative]).OrderBy(v => v).ToArray();
        float low = values[values.Length / 3], median = values[values.Length / 2], high = values[2 * values.Length / 3];
        var rows = Enumerable.Range(0, x.Length);
        float[] Labels(Func<float, float> f) => x.Select(r => f(r[informative])).ToArray();
        void RanksFirst(double[] cost, string what)
        {
            output.WriteLine($"{what}: {string.Join(" ", cost.Select(c => c.ToString("F3")))}");
            var order = Enumerable.Range(0, cost.Length).OrderByDescending(i => cost[i]).ToArray();
            Assert.True(order[0] == informative, $"{what}: slot {order[0]} ranks first ({cost[order[0]]:F4}); slot {informative} costs {cost[informative]:F4}");
            Assert.True(cost[informative] > 2 * cost[order[1]], $"{what}: slot {informative} costs {cost[informative]:F4}, runner-up slot {order[1]} {cost[order[1]]:F4}");
        }

        var classes = MLData.Float(ml, x, Labels(v => v < low ? 0 : v < high ? 1 : 2), rows);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(classes).Transform(classes);
        var multi = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [16], Epochs = 60 }).Fit(keyed);
        var mi = ml.MulticlassClassification.PermutationFeatureImportance(multi, keyed, permutationCount: 2);
        Assert.Equal(x[0].Length, mi.Length);
        RanksFirst(mi.Select(m => -m.MicroAccuracy.Mean).ToArray(), "multiclass");

        var flags = MLData.Bool(ml, x, Labels(v => v > median ? 1 : 0), rows);
        var binary = ml.BinaryClassification.Trainers.Mlp(epochs: 30).Fit(flags);
        var bi = ml.BinaryClassification.PermutationFeatureImportance(binary, flags, permutationCount: 2);
        Assert.Equal(x[0].Length, bi.Length);
        RanksFirst(bi.Select(m => -m.AreaUnderRocCurve.Mean).ToArray(), "binary");

        var targets = MLData.Float(ml, x, Labels(v => 3 * v), rows);
        var regression = ml.Regression.Trainers.Mlp(epochs: 30).Fit(targets);
        var ri = ml.Regression.PermutationFeatureImportance(regression, targets, permutationCount: 2);
        Assert.Equal(x[0].Length, ri.Length);
        RanksFirst(ri.Select(m => m.RootMeanSquaredError.Mean).ToArray(), "regression");
    }

    [Fact]
    public void BatchNormalizeThenMlpTrainsAsWellAsNormalizeMeanVariance()
    {
        var ml = new MLContext(11);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var (trainRows, testRows) = Datasets.StratifiedSplit(y, 0.25, 11);
        var train = MLData.Bool(ml, x, y, trainRows);
        var test = MLData.Bool(ml, x, y, testRows);
        double Auc(IEstimator<ITransformer> normalizer)
        {
            var options = new MlpBinaryTrainer.Options { FeatureColumnName = "Normalized", HiddenLayers = [32], Epochs = 30, Seed = 11, FeatureNormalization = FeatureNormalization.None };
            var model = normalizer.Append(ml.BinaryClassification.Trainers.Mlp(options)).Fit(train);
            return ml.BinaryClassification.Evaluate(model.Transform(test)).AreaUnderRocCurve;
        }
        double batchNorm = Auc(ml.Transforms.BatchNormalize("Normalized", "Features"));
        double meanVariance = Auc(ml.Transforms.NormalizeMeanVariance("Normalized", "Features"));
        Assert.True(batchNorm >= 0.98, $"BatchNormalize → Mlp AUC {batchNorm:F4}");
        Assert.True(batchNorm >= meanVariance - 0.01, $"BatchNormalize {batchNorm:F4} vs NormalizeMeanVariance {meanVariance:F4}");
    }

    [Fact]
    public void SparseFeaturesFromOneHotEncodingAreAccepted()
    {
        var ml = new MLContext(2);
        var rows = Enumerable.Range(0, 400).Select(i => new CategoryRow { Color = (i % 4).ToString(), Size = i % 3, Label = (i % 4) < 2 }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Categorical.OneHotEncoding("ColorVec", "Color")
            .Append(ml.Transforms.Concatenate("Features", "ColorVec", "Size"))
            .Append(ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [8], Epochs = 30 }));
        var model = pipeline.Fit(data);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(data));
        Assert.True(metrics.Accuracy > 0.99, $"accuracy {metrics.Accuracy:P1}");
    }

    public sealed class CategoryRow
    {
        public string Color { get; set; } = "";
        public float Size { get; set; }
        public bool Label { get; set; }
    }
}
