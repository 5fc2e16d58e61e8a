using System.Reflection;
using Microsoft.ML;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>Public API shapes: the regression loss enum and the optimizers' momentum factor.</summary>
public class ApiCleanupTests
{
    [Fact]
    public void RegressionLossOffersOnlyRegressionLosses()
    {
        Assert.Equal(typeof(RegressionLoss), typeof(MlpRegressionTrainer.Options).GetProperty(nameof(MlpRegressionTrainer.Options.Loss))!.PropertyType);
        Assert.Equal(["MeanSquaredError", "Huber"], Enum.GetNames<RegressionLoss>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { Loss = (RegressionLoss)7 }));
        Assert.Equal("Loss", e.ParamName);
    }

    [Fact]
    public void HuberTrainsAHuberNetwork()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var model = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { HiddenLayers = [4], Epochs = 1, Loss = RegressionLoss.Huber, HuberDelta = 0.5f }).Fit(data);
        Assert.Equal(LossKind.Huber, model.Model.Spec.Loss);
        model = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { HiddenLayers = [4], Epochs = 1 }).Fit(data);
        Assert.Equal(LossKind.MeanSquaredError, model.Model.Spec.Loss);
    }

    [Fact]
    public void MomentumFactorDoesNotHideTheFactory()
    {
        foreach (var type in new[] { typeof(SgdOptimizer), typeof(RmsPropOptimizer) })
        {
            Assert.Null(type.GetProperty("Momentum", BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly));
            Assert.NotNull(type.GetProperty("MomentumFactor"));
        }
        Assert.Equal(0.9, Assert.IsType<SgdOptimizer>(Optimizer.Momentum()).MomentumFactor);
        Assert.Equal(0.5, Assert.IsType<RmsPropOptimizer>(Optimizer.RmsProp(momentum: 0.5)).MomentumFactor);
    }

    [Fact]
    public void MulticlassClassWeightsOfTheWrongLengthAreNamedAtFit()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var trainer = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [4], Epochs = 1, ClassWeights = [1, 2] });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        Assert.Equal("ClassWeights", e.ParamName);
        Assert.Contains("2 values", e.Message);
        Assert.Contains("3 classes", e.Message);
    }
}
