using MLNetBackprop.Samples.Initialization;

namespace MLNetBackprop.Tests.Samples;

/// <summary>samples/Initialization: what its histograms show, on the sample's own setting (1,000 rows, 5 × 100 units).</summary>
public class InitializationSampleTests
{
    private static LayerActivations[] Run(string scheme) => ActivationDistributions.Run(ActivationDistributions.Scheme(scheme));

    [Fact]
    public void TooSmallASpreadCollapsesTheActivationsAndTooLargeASpreadSaturatesThem()
    {
        // N(0, 0.01²): the last hidden layer's spread is far below Xavier's (tanh collapses to 0, sigmoid to 0.5).
        var tanhSmall = Run("tanh, N(0, 0.01²)");
        var tanhXavier = Run("tanh, Xavier normal (gain 5/3)");
        Assert.True(tanhSmall[^1].Std < tanhXavier[^1].Std / 10, $"tanh: std {tanhSmall[^1].Std:G3} with N(0, 0.01²), {tanhXavier[^1].Std:G3} with Xavier");
        Assert.True(tanhXavier[^1].Std > 0.3, $"Xavier keeps tanh activations spread: std {tanhXavier[^1].Std:G3} at layer 5");
        var sigmoidSmall = Run("sigmoid, N(0, 0.01²)");
        var sigmoidXavier = Run("sigmoid, Xavier normal");
        Assert.True(sigmoidSmall[^1].Std < sigmoidXavier[^1].Std / 5, $"sigmoid: std {sigmoidSmall[^1].Std:G3} with N(0, 0.01²), {sigmoidXavier[^1].Std:G3} with Xavier");
        Assert.All(sigmoidSmall, l => Assert.InRange(l.Mean, 0.49, 0.51));

        // N(0, 1) with sigmoid: most activations within 0.05 of 0 or 1, in every layer; Xavier: almost none.
        Assert.All(Run("sigmoid, N(0, 1)"), l => Assert.True(l.Saturated > 0.5, $"layer {l.Layer}: {l.Saturated:P1} saturated"));
        Assert.All(sigmoidXavier, l => Assert.True(l.Saturated < 0.01, $"layer {l.Layer}: {l.Saturated:P1} saturated"));
    }

    [Fact]
    public void HeKeepsReluActivationsSpreadWhileASmallSpreadShrinksThemLayerAfterLayer()
    {
        var he = Run("ReLU, He normal");
        double largest = he.Max(l => l.Std), smallest = he.Min(l => l.Std);
        Assert.True(largest < 2 * smallest, $"He: std from {smallest:G3} to {largest:G3} across the layers");

        var small = Run("ReLU, N(0, 0.01²)");
        Assert.True(small[^1].Std < 1e-3 * small[0].Std, $"N(0, 0.01²): std {small[0].Std:G3} at layer 1, {small[^1].Std:G3} at layer 5");
    }
}
