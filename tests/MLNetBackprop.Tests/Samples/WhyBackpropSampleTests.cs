using MLNetBackprop.Samples.WhyBackprop;

namespace MLNetBackprop.Tests.Samples;

/// <summary>samples/WhyBackprop: the gradient check, the pass counts behind the cost table, and the sigmoid's node chain.</summary>
public class WhyBackpropSampleTests
{
    /// <summary>
    /// The engine's float32 backprop against a float64 central difference (h = 1e-5, its own error ~1e-10). Float32
    /// rounding (6e-8 per operation, a few dozen operations per derivative) leaves the largest relative difference of
    /// this network at 9e-6, on a derivative of 9e-6; 1e-4 leaves a margin of 10, and a wrong derivative (off by a
    /// factor, a missing term) is off by far more than 1e-4.
    /// </summary>
    [Fact]
    public void BackpropAndNumericalDifferentiationGiveTheSameGradient()
    {
        var check = GradientCheck.Compare();
        Assert.True(check.Parameters > 100);
        Assert.True(check.MaxRelativeError < 1e-4, $"max relative difference {check.MaxRelativeError:G3}");
        Assert.Equal(2L * check.Parameters, check.ForwardPasses);
    }

    [Fact]
    public void TheNumericalGradientTakesTwoForwardPassesPerParameter()
    {
        foreach (int hidden in new[] { 4, 16, 64 })
        {
            var row = GradientCost.Measure([hidden], rows: 10, numericalBudgetSeconds: double.PositiveInfinity);
            Assert.Equal(75L * hidden + 10, row.Parameters);  // 64·H + H + H·10 + 10
            Assert.NotNull(row.NumericalSeconds);
            Assert.Equal(2 * row.Parameters, row.NumericalForwardPasses);
        }
    }

    [Fact]
    public void TheSigmoidNodeChainMultipliesToYTimesOneMinusY()
    {
        foreach (double x in new[] { -8, -2, -0.5, 0, 0.5, 1, 3, 8 })
        {
            var chain = SigmoidGraph.Chain(x);
            Assert.Equal(4, chain.Length);
            double y = SigmoidGraph.Output(chain);
            Assert.Equal(1 / (1 + Math.Exp(-x)), y, 1e-15);
            double product = chain.Aggregate(1.0, (p, n) => p * n.Local);
            Assert.True(Math.Abs(SigmoidGraph.Derivative(chain) - y * (1 - y)) < 1e-12, $"x = {x}: chain {SigmoidGraph.Derivative(chain):R}, y(1 − y) {y * (1 - y):R}");
            Assert.True(Math.Abs(product - y * (1 - y)) < 1e-12, $"x = {x}: product of the local derivatives {product:R}");
            // Each node passes back what arrives times its local derivative.
            Assert.All(chain, n => Assert.Equal(n.Upstream * n.Local, n.Downstream, 1e-15));
        }
    }
}
