using Microsoft.ML;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>Fit(train, validation): the validation label must use the training label's keys.</summary>
public class ValidationLabelTests
{
    private static (MLContext Ml, IDataView Train, float[][] X, float[] Y) Setup()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        return (ml, ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw), x, y);
    }

    private static MlpMulticlassTrainer Trainer(MLContext ml) =>
        ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [4], Epochs = 2 });

    [Fact]
    public void ADifferentClassCountIsNamed()
    {
        var (ml, train, x, y) = Setup();
        var twoClasses = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length).Where(i => y[i] < 2));
        var validation = ml.Transforms.Conversion.MapValueToKey("Label").Fit(twoClasses).Transform(twoClasses);
        var e = Assert.Throws<ArgumentException>(() => Trainer(ml).Fit(train, validation));
        Assert.Equal("validationData", e.ParamName);
        Assert.Contains("'Label'", e.Message);
        Assert.Contains("2 classes", e.Message);
        Assert.Contains("has 3", e.Message);
    }

    [Fact]
    public void ADifferentKeyOrderIsNamed()
    {
        var (ml, train, x, y) = Setup();
        // Same three classes, keys in order of occurrence of the reversed rows: 2, 1, 0 instead of 0, 1, 2.
        var reversed = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length).Reverse());
        var validation = ml.Transforms.Conversion.MapValueToKey("Label").Fit(reversed).Transform(reversed);
        var e = Assert.Throws<ArgumentException>(() => Trainer(ml).Fit(train, validation));
        Assert.Equal("validationData", e.ParamName);
        Assert.Contains("'Label'", e.Message);
        Assert.Contains("key 1 is '2' in the validation data and '0' in the training data", e.Message);
    }

    [Fact]
    public void TheSameKeysTrain()
    {
        var (ml, train, x, y) = Setup();
        var model = Trainer(ml).Fit(train, train);
        Assert.All(model.History.Epochs, r => Assert.True(r.ValidationLoss.HasValue));
    }
}
