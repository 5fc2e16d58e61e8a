using Microsoft.ML;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>EarlyStopping.Monitor is checked against the task: at construction, at Fit, and in the engine's Evaluator.</summary>
public class MonitorTaskTests
{
    private static EarlyStopping On(ValidationMonitor m) => new() { Monitor = m, Patience = 2 };

    [Theory]
    [InlineData(ValidationMonitor.Auc)]
    [InlineData(ValidationMonitor.RSquared)]
    public void MulticlassRejectsAucAndRSquared(ValidationMonitor monitor)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).MulticlassClassification.Trainers.Mlp(
            new MlpMulticlassTrainer.Options { EarlyStopping = On(monitor) }));
        Assert.Equal("EarlyStopping", e.ParamName);
        Assert.Contains("Loss, Accuracy", e.Message);
        Assert.Contains(monitor.ToString(), e.Message);
    }

    [Fact]
    public void BinaryRejectsRSquared()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).BinaryClassification.Trainers.Mlp(
            new MlpBinaryTrainer.Options { EarlyStopping = On(ValidationMonitor.RSquared) }));
        Assert.Equal("EarlyStopping", e.ParamName);
        Assert.Contains("Loss, Accuracy, Auc", e.Message);
    }

    [Theory]
    [InlineData(ValidationMonitor.Accuracy)]
    [InlineData(ValidationMonitor.Auc)]
    public void RegressionRejectsAccuracyAndAuc(ValidationMonitor monitor)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Regression.Trainers.Mlp(
            new MlpRegressionTrainer.Options { EarlyStopping = On(monitor) }));
        Assert.Equal("EarlyStopping", e.ParamName);
        Assert.Contains("Loss, RSquared", e.Message);
    }

    [Fact]
    public void MonitorIsCheckedAgainAtFit()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)))
            .Transform(MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)));
        var options = new MlpMulticlassTrainer.Options { HiddenLayers = [4], Epochs = 2, ValidationFraction = 0.2f };
        var trainer = ml.MulticlassClassification.Trainers.Mlp(options);
        options.EarlyStopping = On(ValidationMonitor.Auc); // changed after the estimator was built
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        Assert.Equal("EarlyStopping", e.ParamName);
    }

    [Fact]
    public void ValidMonitorsTrain()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var rows = Enumerable.Range(0, y.Length);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, rows)).Transform(MLData.Float(ml, x, y, rows));
        var mc = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [4], Epochs = 2, ValidationFraction = 0.2f, EarlyStopping = On(ValidationMonitor.Accuracy) }).Fit(keyed);
        Assert.All(mc.History.Epochs, r => Assert.InRange(r.ValidationMetric!.Value, 0, 1));
        var bin = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [4], Epochs = 2, ValidationFraction = 0.2f, EarlyStopping = On(ValidationMonitor.Auc) }).Fit(MLData.Bool(ml, x, y, rows));
        Assert.All(bin.History.Epochs, r => Assert.InRange(r.ValidationMetric!.Value, 0, 1));
        var reg = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { HiddenLayers = [4], Epochs = 2, ValidationFraction = 0.2f, EarlyStopping = On(ValidationMonitor.RSquared) }).Fit(MLData.Float(ml, x, y, rows));
        Assert.All(reg.History.Epochs, r => Assert.True(r.ValidationMetric.HasValue));
    }

    [Theory]
    [InlineData(LossKind.SoftmaxCrossEntropy, 3, ValidationMonitor.Auc)]
    [InlineData(LossKind.SoftmaxCrossEntropy, 3, ValidationMonitor.RSquared)]
    [InlineData(LossKind.SigmoidCrossEntropy, 1, ValidationMonitor.RSquared)]
    [InlineData(LossKind.MeanSquaredError, 1, ValidationMonitor.Accuracy)]
    [InlineData(LossKind.Huber, 1, ValidationMonitor.Auc)]
    public void EvaluatorRejectsAMonitorThatDoesNotFitTheNetwork(LossKind loss, int outputs, ValidationMonitor monitor)
    {
        var network = new Network(new NetworkSpec { InputSize = 2, HiddenLayers = [3], OutputSize = outputs, Loss = loss }, 1);
        var data = new Dataset(new Matrix(4, 2, [0, 1, 1, 0, 1, 1, 0, 0]), [0, 1, 2 % (outputs + 1), 1]);
        var e = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(network, data, monitor));
        Assert.Equal("monitor", e.ParamName);
        Assert.Contains(monitor.ToString(), e.Message);
        Assert.Contains(loss.ToString(), e.Message);
        // The trainer checks it before the first epoch.
        var settings = new TrainingSettings { Epochs = 1, BatchSize = 2, EarlyStopping = new EarlyStopping { Monitor = monitor } };
        Assert.Throws<ArgumentException>(() => new NetworkTrainer(network, settings).Train(data, data));
    }
}
