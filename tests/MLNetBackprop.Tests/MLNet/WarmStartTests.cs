using Microsoft.ML;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>Warm start (Fit(trainData, modelParameters)) takes the architecture's values from the model and the options' training settings.</summary>
public class WarmStartTests
{
    private static (MLContext Ml, IDataView Data) Iris()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        return (ml, ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw));
    }

    private static MlpMulticlassTrainer.Options Options(int epochs) => new() { HiddenLayers = [8], Epochs = epochs, Seed = 3, Optimizer = Optimizer.Adam(1e-2) };

    [Fact]
    public void DropoutAndLabelSmoothingOfTheNewOptionsAreInEffect()
    {
        var (ml, data) = Iris();
        var first = ml.MulticlassClassification.Trainers.Mlp(Options(20)).Fit(data);
        Assert.Equal(0f, first.Model.Spec.Dropout);

        var options = Options(1);
        options.Dropout = 0.3f;
        options.LabelSmoothing = 0.1f;
        var warm = ml.MulticlassClassification.Trainers.Mlp(options).Fit(data, first.Model);
        Assert.Equal(0.3f, warm.Model.Spec.Dropout);
        Assert.Equal(0.1f, warm.Model.Spec.LabelSmoothing);
        Assert.Equal(0f, first.Model.Spec.Dropout); // the original is untouched

        // It continued from the trained weights: its one epoch starts near where the first run ended.
        var fresh = ml.MulticlassClassification.Trainers.Mlp(Options(1)).Fit(data);
        Assert.True(warm.History.Epochs[0].TrainLoss < fresh.History.Epochs[0].TrainLoss,
            $"warm {warm.History.Epochs[0].TrainLoss} vs fresh {fresh.History.Epochs[0].TrainLoss}");
    }

    [Fact]
    public void HuberDeltaAndLeakySlopeOfTheNewOptionsAreInEffect()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var options = new MlpRegressionTrainer.Options { HiddenLayers = [8], Epochs = 3, Activation = Activation.LeakyRelu, Loss = RegressionLoss.Huber };
        var first = ml.Regression.Trainers.Mlp(options).Fit(data);
        options.HuberDelta = 0.25f;
        options.LeakyReluSlope = 0.2f;
        var warm = ml.Regression.Trainers.Mlp(options).Fit(data, first.Model);
        Assert.Equal(0.25f, warm.Model.Spec.HuberDelta);
        Assert.Equal(0.2f, warm.Model.Spec.LeakyReluSlope);
    }

    [Fact]
    public void AnIncompatibleArchitectureNamesTheParameter()
    {
        var (ml, data) = Iris();
        var first = ml.MulticlassClassification.Trainers.Mlp(Options(1)).Fit(data);
        var options = Options(1);
        options.HiddenLayers = [9];
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Mlp(options).Fit(data, first.Model));
        Assert.Equal("modelParameters", e.ParamName);
        options = Options(1);
        options.BatchNorm = true;
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Mlp(options).Fit(data, first.Model));
        Assert.Equal("modelParameters", e.ParamName);
    }
}
