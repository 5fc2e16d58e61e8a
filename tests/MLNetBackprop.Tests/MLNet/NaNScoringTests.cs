using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>A NaN feature at scoring: NaN scores and a "no prediction" label (multiclass key 0, binary false).</summary>
public class NaNScoringTests
{
    private static (MLContext Ml, float[][] X, float[] Y, float[][] Scoring) Data()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var scoring = new[] { x[0], x[0].Select((v, i) => i == 2 ? float.NaN : v).ToArray(), x[^1] };
        return (ml, x, y, scoring);
    }

    [Fact]
    public void MulticlassPredictsTheMissingKeyForANaNRow()
    {
        var (ml, x, y, scoring) = Data();
        var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [8], Epochs = 20 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel"))
            .Fit(raw);
        var scored = model.Transform(MLData.Float(ml, scoring, [0, 0, 2], [0, 1, 2]));
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var values = scored.GetColumn<float>("PredictedValue").ToArray();
        Assert.All(scores[1], s => Assert.True(float.IsNaN(s)));
        Assert.Equal(0u, keys[1]);
        Assert.True(float.IsNaN(values[1])); // MapKeyToValue: the missing key maps to the missing value of Single
        Assert.InRange(keys[0], 1u, 3u); // the neighbouring rows are unaffected
        Assert.InRange(keys[2], 1u, 3u);
        Assert.Equal(keys[2] - 1f, values[2]); // iris classes 0, 1, 2 are keys 1, 2, 3
    }

    [Fact]
    public void BinaryPredictsFalseForANaNRow()
    {
        var (ml, x, y, scoring) = Data();
        var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [8], Epochs = 20 })
            .Fit(MLData.Bool(ml, x, y.Select(v => v == 2 ? 1f : 0f).ToArray(), Enumerable.Range(0, y.Length)));
        var scored = model.Transform(MLData.Bool(ml, scoring, [0, 1, 1], [0, 1, 2]));
        Assert.True(float.IsNaN(scored.GetColumn<float>("Score").ToArray()[1]));
        Assert.True(float.IsNaN(scored.GetColumn<float>("Probability").ToArray()[1]));
        Assert.False(scored.GetColumn<bool>("PredictedLabel").ToArray()[1]);
        Assert.All(new[] { 0, 2 }, i => Assert.True(float.IsFinite(scored.GetColumn<float>("Score").ToArray()[i])));
    }

    [Fact]
    public void PredictedKeyIsTheArgMaxOrZeroForNaN()
    {
        Assert.Equal(2u, MlpMulticlassPredictionTransformer.PredictedKey([0.2f, 0.5f, 0.3f]));
        Assert.Equal(1u, MlpMulticlassPredictionTransformer.PredictedKey([0.5f, 0.2f, 0.3f]));
        Assert.Equal(0u, MlpMulticlassPredictionTransformer.PredictedKey([0.5f, float.NaN, 0.3f]));
        Assert.Equal(0u, MlpMulticlassPredictionTransformer.PredictedKey([float.NaN, float.NaN, float.NaN]));
    }
}
