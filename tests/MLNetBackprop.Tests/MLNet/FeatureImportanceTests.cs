using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// PermutationFeatureImportanceOfMlp on whole chains (issue 12 item B): one feature decides the label, three are noise;
/// the informative one must rank first, and results are keyed by the feature column's slot names.
/// </summary>
public class FeatureImportanceTests
{
    private sealed class Row
    {
        public float Signal { get; set; }
        public float Noise1 { get; set; }
        public float Noise2 { get; set; }
        public float Noise3 { get; set; }
        public string Class { get; set; } = "";
        public bool Flag { get; set; }
        public float Value { get; set; }
    }

    private static readonly string[] Names = ["Signal", "Noise1", "Noise2", "Noise3"];

    /// <summary>400 rows: Signal uniform in [-1, 1] decides everything (class by thirds, flag by sign, value = 3·Signal); the noise columns are independent of it.</summary>
    private static IDataView Data(MLContext ml)
    {
        var random = new Random(7);
        float U() => (float)(random.NextDouble() * 2 - 1);
        var rows = Enumerable.Range(0, 400).Select(_ =>
        {
            float s = U();
            return new Row
            {
                Signal = s, Noise1 = U(), Noise2 = U(), Noise3 = U(),
                Class = s < -1f / 3 ? "low" : s < 1f / 3 ? "mid" : "high",
                Flag = s > 0,
                Value = 3 * s,
            };
        }).ToList();
        return ml.Data.LoadFromEnumerable(rows);
    }

    private static IEstimator<ITransformer> Features(MLContext ml) => ml.Transforms.Concatenate("Features", Names);

    [Fact]
    public void MulticlassChainRanksTheInformativeFeatureFirstByName()
    {
        var ml = new MLContext(1);
        var data = Data(ml);
        var model = Features(ml)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", "Class"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(hiddenLayers: [16], epochs: 30))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel")) // a step after ours is fine
            .Fit(data);

        // ML.NET's own whole-model overload cannot see our transformer (its interface is internal): the reason for the helper.
        var e = Assert.ThrowsAny<ArgumentException>(() => ml.MulticlassClassification.PermutationFeatureImportance(model, model.Transform(data)));
        Assert.Contains("compatible predictor", e.Message);

        var importance = ml.MulticlassClassification.PermutationFeatureImportanceOfMlp(model, data, permutationCount: 2);
        Assert.Equal(Names.OrderBy(n => n), importance.Keys.OrderBy(n => n));
        var ranked = importance.OrderBy(p => p.Value.MicroAccuracy.Mean).Select(p => p.Key).ToList();
        Assert.Equal("Signal", ranked[0]);
        Assert.True(importance["Signal"].MicroAccuracy.Mean < -0.3, $"shuffling Signal costs {importance["Signal"].MicroAccuracy.Mean:F3} accuracy");
        Assert.All(Names.Skip(1), n => Assert.True(importance[n].MicroAccuracy.Mean > -0.05, $"{n}: {importance[n].MicroAccuracy.Mean:F3}"));
    }

    [Fact]
    public void BinaryNestedChainRanksTheInformativeFeatureFirstByName()
    {
        var ml = new MLContext(2);
        var data = Data(ml);
        // A chain inside a chain: features fitted separately, then the trainer, joined afterwards.
        var prefix = Features(ml).Append(ml.Transforms.CopyColumns("Label", "Flag")).Fit(data);
        var mlp = ml.BinaryClassification.Trainers.Mlp(hiddenLayers: [16], epochs: 30).Fit(prefix.Transform(data));
        var model = new TransformerChain<ITransformer>(prefix, new TransformerChain<ITransformer>(mlp));

        var importance = ml.BinaryClassification.PermutationFeatureImportanceOfMlp(model, data);
        Assert.Equal(Names.OrderBy(n => n), importance.Keys.OrderBy(n => n));
        Assert.Equal("Signal", importance.MinBy(p => p.Value.AreaUnderRocCurve.Mean).Key);
        Assert.True(importance["Signal"].AreaUnderRocCurve.Mean < -0.3);
    }

    [Fact]
    public void RegressionRanksTheInformativeFeatureFirstAndAcceptsTheTransformerItself()
    {
        var ml = new MLContext(3);
        var data = Features(ml).Append(ml.Transforms.CopyColumns("Label", "Value")).Fit(Data(ml)).Transform(Data(ml));
        var mlp = ml.Regression.Trainers.Mlp(hiddenLayers: [16], epochs: 30).Fit(data);

        var importance = ml.Regression.PermutationFeatureImportanceOfMlp(mlp, data);
        Assert.Equal("Signal", importance.MinBy(p => p.Value.RSquared.Mean).Key);
        Assert.True(importance["Signal"].RSquared.Mean < -0.5);
        // The same numbers as ML.NET's typed overload, slot by slot (the shuffles follow the context's seed).
        var typed = new MLContext(9).Regression.PermutationFeatureImportance(mlp, data);
        var ours = new MLContext(9).Regression.PermutationFeatureImportanceOfMlp(mlp, data);
        for (int i = 0; i < Names.Length; i++)
            Assert.Equal(typed[i].RSquared.Mean, ours[Names[i]].RSquared.Mean);
    }

    [Fact]
    public void SlotsWithoutNamesAreKeyedByColumnAndIndex()
    {
        var ml = new MLContext(4);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)); // a float[] column: no slot names
        var model = ml.Regression.Trainers.Mlp(hiddenLayers: [4], epochs: 2).Fit(data);
        var importance = ml.Regression.PermutationFeatureImportanceOfMlp(model, data);
        Assert.Equal(["Features[0]", "Features[1]", "Features[2]", "Features[3]"], importance.Keys.OrderBy(k => k));
    }

    [Fact]
    public void AChainWithoutAnMlpOfTheTaskIsAClearError()
    {
        var ml = new MLContext(5);
        var data = Data(ml);
        var noMlp = Features(ml).Append(ml.Transforms.CopyColumns("Label", "Value"))
            .Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 2)).Fit(data);
        var e = Assert.Throws<ArgumentException>(() => ml.Regression.PermutationFeatureImportanceOfMlp(noMlp, data));
        Assert.Equal("model", e.ParamName);
        Assert.Contains("contains no regression MLP prediction transformer (MlpRegressionPredictionTransformer)", e.Message);
        Assert.Contains("ColumnConcatenatingTransformer → ColumnCopyingTransformer → RegressionPredictionTransformer", e.Message);
        Assert.Contains("mlContext.Regression.PermutationFeatureImportance(model, transformedData)", e.Message);

        var binary = Features(ml).Append(ml.Transforms.CopyColumns("Label", "Flag"))
            .Append(ml.BinaryClassification.Trainers.Mlp(hiddenLayers: [4], epochs: 2)).Fit(data);
        e = Assert.Throws<ArgumentException>(() => ml.Regression.PermutationFeatureImportanceOfMlp(binary, data));
        Assert.Contains("It holds a MlpBinaryPredictionTransformer: call PermutationFeatureImportanceOfMlp on the catalog of that task.", e.Message);
    }
}
