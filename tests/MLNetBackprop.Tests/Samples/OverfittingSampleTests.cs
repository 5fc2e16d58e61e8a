using MLNetBackprop.Samples.Overfitting;

namespace MLNetBackprop.Tests.Samples;

/// <summary>samples/Overfitting, reduced to 40 epochs and the two extreme settings (none, L2 + dropout).</summary>
public class OverfittingSampleTests
{
    [Fact]
    public void L2AndDropoutNarrowTheGapBetweenTrainingAndTestAccuracy()
    {
        var (train, test) = OverfittingExperiment.LoadDigits();
        Assert.Equal(10 * OverfittingExperiment.RowsPerClass, train.Rows);
        var none = OverfittingExperiment.Train(train, test, OverfittingExperiment.Settings[0], epochs: 40);
        var both = OverfittingExperiment.Train(train, test, OverfittingExperiment.Settings[^1], epochs: 40);
        Assert.True(both.Setting.L2 > 0 && both.Setting.Dropout > 0);

        // Unregularised, the large network fits the 300 rows and does clearly worse on the others.
        Assert.Equal(1.0, none.TrainAccuracy[^1]);
        Assert.True(none.Gap() > 0.08, $"none: train {none.TrainAccuracy[^1]:P1}, test {none.TestAccuracy[^1]:P1}");
        Assert.True(both.Gap() < none.Gap() - 0.02, $"gap {both.Gap():P1} with L2 + dropout, {none.Gap():P1} without");
    }
}
