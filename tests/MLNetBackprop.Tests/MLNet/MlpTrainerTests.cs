using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

public class MlpTrainerTests
{
    private static string TempModel() => Path.Combine(Path.GetTempPath(), $"mlnetbackprop-{Guid.NewGuid():N}.zip");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void DigitsMulticlassEvaluatesSavesLoadsAndPredicts(int seed)
    {
        var ml = new MLContext(seed);
        var (x, y) = Datasets.Load("digits.csv");
        var (trainRows, testRows) = Datasets.StratifiedSplit(y, 0.25, seed);
        var train = MLData.Float(ml, x, y, trainRows);
        var test = MLData.Float(ml, x, y, testRows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [128], Epochs = 100, L2 = 1e-3f, Schedule = LearningRateSchedule.Cosine(100), Seed = seed }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel"));
        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.True(metrics.MacroAccuracy >= 0.97 && metrics.MicroAccuracy >= 0.97, $"seed {seed}: accuracy {metrics.MicroAccuracy:P2}");

        // PredictedLabel maps back to the original class value.
        var predictedValues = scored.GetColumn<float>("PredictedLabelValue").ToArray();
        var truth = testRows.Select(i => y[i]).ToArray();
        Assert.Equal(metrics.MicroAccuracy, predictedValues.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length, 9);

        string path = TempModel();
        try
        {
            ml.Model.Save(model, train.Schema, path);
            var fresh = new MLContext().RegisterBackprop();
            var loaded = fresh.Model.Load(path, out var schema);
            Assert.Contains(((IEnumerable<ITransformer>)loaded), t => t is MlpMulticlassPredictionTransformer);
            var before = MLData.Column(ml, scored, "Score");
            var after = MLData.Column(fresh, loaded.Transform(MLData.Float(fresh, x, y, testRows)), "Score");
            Assert.Equal(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);

            // CreatePredictionEngine gives what Transform gives, row by row, on every test row: the Score vector,
            // the PredictedLabel key and its mapped class value — from the trained model and from the loaded one.
            var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
            Assert.Equal(testRows.Length, keys.Length);
            foreach (var (context, transformer) in new[] { (ml, (ITransformer)model), (fresh, loaded) })
            {
                var engine = context.Model.CreatePredictionEngine<MLData.FloatRow, ScoreRow>(transformer, inputSchemaDefinition: null);
                for (int i = 0; i < testRows.Length; i++)
                {
                    var p = engine.Predict(new MLData.FloatRow { Features = x[testRows[i]], Label = y[testRows[i]] });
                    Assert.Equal(before[i], p.Score);
                    Assert.Equal(keys[i], p.PredictedLabel);
                    Assert.Equal(predictedValues[i], p.PredictedLabelValue);
                }
            }
        }
        finally { File.Delete(path); }
    }

    public sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
        public float PredictedLabelValue { get; set; }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void BreastCancerBinaryReachesAuc98AndRoundTrips(int seed)
    {
        var ml = new MLContext(seed);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var (trainRows, testRows) = Datasets.StratifiedSplit(y, 0.25, seed);
        var train = MLData.Bool(ml, x, y, trainRows);
        var test = MLData.Bool(ml, x, y, testRows);
        var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [32], Epochs = 40, Seed = seed }).Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.True(metrics.AreaUnderRocCurve >= 0.98, $"seed {seed}: AUC {metrics.AreaUnderRocCurve:F4}");

        string path = TempModel();
        try
        {
            ml.Model.Save(model, train.Schema, path);
            var fresh = new MLContext().RegisterBackprop();
            var loaded = fresh.Model.Load(path, out _);
            var before = MLData.Scalar(ml, scored, "Score");
            var after = MLData.Scalar(fresh, loaded.Transform(MLData.Bool(fresh, x, y, testRows)), "Score");
            Assert.Equal(before, after);
            var probabilities = MLData.Scalar(ml, scored, "Probability");
            var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
            Assert.Equal(testRows.Length, predicted.Length);
            foreach (var (context, transformer) in new[] { (ml, (ITransformer)model), (fresh, loaded) })
            {
                var engine = context.Model.CreatePredictionEngine<MLData.BoolRow, BinaryRow>(transformer);
                for (int i = 0; i < testRows.Length; i++)
                {
                    var p = engine.Predict(new MLData.BoolRow { Features = x[testRows[i]] });
                    Assert.Equal(before[i], p.Score);
                    Assert.Equal(probabilities[i], p.Probability);
                    Assert.Equal(predicted[i], p.PredictedLabel);
                    Assert.Equal(before[i] >= 0, p.PredictedLabel);
                }
            }
        }
        finally { File.Delete(path); }
    }

    public sealed class BinaryRow
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ConcreteRegressionReachesR2Of08AndRoundTrips(int seed)
    {
        var ml = new MLContext(seed);
        var (x, y) = Datasets.Load("concrete.csv");
        var (trainRows, testRows) = Datasets.RandomSplit(y.Length, 0.25, seed);
        var train = MLData.Float(ml, x, y, trainRows);
        var test = MLData.Float(ml, x, y, testRows);
        // Raw features (0–1000 kg/m³, days) and a label in MPa: the trainer standardises both itself.
        var model = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { HiddenLayers = [64, 32], Epochs = 150, Seed = seed }).Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.Regression.Evaluate(scored);
        Assert.True(metrics.RSquared >= 0.8, $"seed {seed}: R² {metrics.RSquared:F4}");

        string path = TempModel();
        try
        {
            ml.Model.Save(model, train.Schema, path);
            var fresh = new MLContext().RegisterBackprop();
            var loaded = fresh.Model.Load(path, out _);
            var before = MLData.Scalar(ml, scored, "Score");
            Assert.Equal(testRows.Length, before.Length);
            Assert.Equal(before, MLData.Scalar(fresh, loaded.Transform(MLData.Float(fresh, x, y, testRows)), "Score"));
            foreach (var (context, transformer) in new[] { (ml, (ITransformer)model), (fresh, loaded) })
            {
                var engine = context.Model.CreatePredictionEngine<MLData.FloatRow, RegressionRow>(transformer);
                for (int i = 0; i < testRows.Length; i++)
                    Assert.Equal(before[i], engine.Predict(new MLData.FloatRow { Features = x[testRows[i]] }).Score);
            }
        }
        finally { File.Delete(path); }
    }

    public sealed class RegressionRow
    {
        public float Score { get; set; }
    }
}
