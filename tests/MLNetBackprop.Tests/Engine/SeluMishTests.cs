using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// SELU and Mish: their float64 definitions against values computed independently from the published constants and
/// torch's formulas, and the initialisation they ask for. What every activation gets (kernels against the definition
/// on vector-width rows, gradient checks) is in <see cref="ActivationOperationTests"/>.
/// </summary>
public class SeluMishTests
{
    // Computed from the definitions in float64 (Python math: λ·x / λ·α·expm1(x); x·tanh(log1p(eˣ))).
    [Theory]
    [InlineData(-5.0, -1.7462533606696198, -0.033576237730161704)]
    [InlineData(-1.0, -1.1113307378125625, -0.30340146137410895)]
    [InlineData(-0.1, -0.16730527262431394, -0.05678857521284473)]
    [InlineData(0.0, 0.0, 0.0)]
    [InlineData(0.1, 0.10507009873554805, 0.06317941749148973)]
    [InlineData(1.0, 1.0507009873554805, 0.8650983882673103)]
    [InlineData(3.0, 3.1521029620664414, 2.9865350049679575)]
    public void ScalarValuesMatchTheDefinitions(double x, double selu, double mish)
    {
        Assert.Equal(selu, new SeluLayer(1).Reference(x), 14);
        Assert.Equal(mish, new MishLayer(1).Reference(x), 14);
    }

    [Fact]
    public void DerivativesAtZeroAreTorchs()
    {
        Assert.Equal(SeluLayer.Scale * SeluLayer.Alpha, new SeluLayer(1).ReferenceDerivative(0), 15); // torch's branch at 0
        Assert.Equal(0.6, new MishLayer(1).ReferenceDerivative(0), 15); // tanh(log 2) = 3/5
    }

    [Fact]
    public void AutoInitialisationIsLeCunForSeluAndHeForMish()
    {
        Assert.Equal(WeightInit.LeCunNormal, WeightInitializer.Resolve(WeightInit.Auto, Activation.Selu));
        Assert.Equal(WeightInit.HeNormal, WeightInitializer.Resolve(WeightInit.Auto, Activation.Mish));
        Assert.Equal(0.75, WeightInitializer.Gain(Activation.Selu)); // torch.nn.init.calculate_gain('selu')
    }
}
