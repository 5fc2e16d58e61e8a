using MLNetBackprop.Samples.BatchNormalization;

namespace MLNetBackprop.Tests.Samples;

/// <summary>samples/BatchNormalization, reduced to 3 epochs (45 SGD iterations) at one small initial scale.</summary>
public class BatchNormalizationSampleTests
{
    [Fact]
    public void FromASmallInitialScaleBatchNormLearnsWhileThePlainNetworkIsStuck()
    {
        var (train, _) = BatchNormExperiment.LoadDigits();
        var plain = BatchNormExperiment.Train(train, initStd: 0.01, batchNorm: false, epochs: 3);
        var normalized = BatchNormExperiment.Train(train, initStd: 0.01, batchNorm: true, epochs: 3);

        Assert.Null(plain.DivergedInEpoch);
        Assert.Null(normalized.DivergedInEpoch);
        // Without BatchNorm the signal has vanished: the loss stays at ln 10 (chance for 10 classes).
        Assert.True(plain.TrainLoss[^1] > 2.2, $"without BatchNorm: loss {plain.TrainLoss[^1]:F3} after 3 epochs");
        Assert.True(normalized.TrainLoss[^1] < plain.TrainLoss[^1] / 3, $"with BatchNorm: loss {normalized.TrainLoss[^1]:F3}, without {plain.TrainLoss[^1]:F3}");
        Assert.True(normalized.TrainAccuracy[^1] > 0.8, $"with BatchNorm: training accuracy {normalized.TrainAccuracy[^1]:P1} after 3 epochs");
    }
}
