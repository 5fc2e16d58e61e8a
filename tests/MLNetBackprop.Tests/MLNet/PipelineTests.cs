using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

public class PipelineTests
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

    [Fact]
    public void CrossValidationAndPermutationFeatureImportanceWork()
    {
        var ml = new MLContext(3);
        var (x, y) = Datasets.Load("wine.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [16], Epochs = 100 }));
        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 3);
        Assert.Equal(3, folds.Count);
        Assert.All(folds, f => Assert.True(f.Metrics.MicroAccuracy > 0.85, $"fold accuracy {f.Metrics.MicroAccuracy:P1}"));

        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var trained = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [16], Epochs = 100 }).Fit(keyed);
        var importance = ml.MulticlassClassification.PermutationFeatureImportance(trained, keyed, permutationCount: 1);
        Assert.Equal(x[0].Length, importance.Length);
        Assert.Contains(importance, m => m.MicroAccuracy.Mean < -0.01); // some feature matters

        var binData = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
        var binFolds = ml.BinaryClassification.CrossValidate(binData, ml.BinaryClassification.Trainers.Mlp(epochs: 20), numberOfFolds: 3);
        Assert.All(binFolds, f => Assert.True(f.Metrics.AreaUnderRocCurve > 0.9));
        var regFolds = ml.Regression.CrossValidate(data, ml.Regression.Trainers.Mlp(epochs: 20), numberOfFolds: 3);
        Assert.Equal(3, regFolds.Count);
        var binModel = ml.BinaryClassification.Trainers.Mlp(epochs: 10).Fit(binData);
        Assert.Equal(x[0].Length, ml.BinaryClassification.PermutationFeatureImportance(binModel, binData).Length);
        var regModel = ml.Regression.Trainers.Mlp(epochs: 10).Fit(data);
        Assert.Equal(x[0].Length, ml.Regression.PermutationFeatureImportance(regModel, data).Length);
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
