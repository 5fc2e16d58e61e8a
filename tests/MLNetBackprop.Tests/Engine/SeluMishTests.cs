using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// SELU and Mish: values against their definitions (published constants, torch's formulas), the vectorised
/// kernels against the float64 scalar maths on every element of rows long enough to use the vector paths
/// and their scalar tails, and central-difference gradient checks on such rows.
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
        Assert.Equal(selu, ActivationFunctions.Selu(x), 14);
        Assert.Equal(mish, ActivationFunctions.Mish(x), 14);
    }

    [Fact]
    public void ScalarDerivativesMatchCentralDifferences()
    {
        for (double x = -6; x <= 6; x += 0.37)
        {
            const double h = 1e-6;
            Assert.Equal((ActivationFunctions.Selu(x + h) - ActivationFunctions.Selu(x - h)) / (2 * h), ActivationFunctions.SeluDerivative(x), 6);
            Assert.Equal((ActivationFunctions.Mish(x + h) - ActivationFunctions.Mish(x - h)) / (2 * h), ActivationFunctions.MishDerivative(x), 6);
        }
        Assert.Equal(ActivationFunctions.SeluScale * ActivationFunctions.SeluAlpha, ActivationFunctions.SeluDerivative(0), 15); // torch's branch at 0
        Assert.Equal(0.6, ActivationFunctions.MishDerivative(0), 15); // tanh(log 2) = 3/5
    }

    public static IEnumerable<object[]> Functions => [[Activation.Selu], [Activation.Mish]];

    /// <summary>37 values: two Vector512 (or four Vector256) blocks and a scalar tail, spanning the far tails.</summary>
    private static float[] Inputs()
    {
        var x = new float[37];
        for (int i = 0; i < x.Length; i++) x[i] = -30f + 60f * i / (x.Length - 1) + (i % 3 == 0 ? 0.013f : 0f);
        x[5] = 0f;
        x[6] = -1e-4f;
        x[7] = 25f;
        return x;
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void KernelsMatchTheScalarMathOnEveryElement(Activation activation)
    {
        var x = Inputs();
        var y = new float[x.Length];
        var dy = Enumerable.Range(0, x.Length).Select(i => 0.5f + 0.01f * i).ToArray();
        var dx = new float[x.Length];
        Func<double, double> f, df;
        if (activation == Activation.Selu)
        {
            Kernels.SeluForward(x, y);
            Kernels.SeluBackward(x, dy, dx);
            (f, df) = (ActivationFunctions.Selu, ActivationFunctions.SeluDerivative);
        }
        else
        {
            Kernels.MishForward(x, y);
            Kernels.MishBackward(x, dy, dx);
            (f, df) = (ActivationFunctions.Mish, ActivationFunctions.MishDerivative);
        }
        for (int i = 0; i < x.Length; i++)
        {
            // float32 with a vectorised exp: a few ulps relative, plus an absolute floor for eˣ − 1 near 0.
            Assert.True(Math.Abs(y[i] - f(x[i])) <= 4e-7 * Math.Abs(f(x[i])) + 4e-7, $"{activation}({x[i]}) = {y[i]}, expected {f(x[i])}");
            double g = dy[i] * df(x[i]);
            Assert.True(Math.Abs(dx[i] - g) <= 4e-7 * Math.Abs(g) + 4e-7, $"{activation}'({x[i]})·dy = {dx[i]}, expected {g}");
        }
        Assert.Equal(0f, y[5]); // SELU(0) and Mish(0) are exactly 0
        // In place (the scoring path) gives the same values.
        var inPlace = (float[])x.Clone();
        ActivationLayers.Create(activation, inPlace.Length, 0f).ScoreInPlace(inPlace);
        Assert.Equal(y, inPlace);
    }

    [Fact]
    public void NaNPropagates()
    {
        var x = Enumerable.Repeat(float.NaN, 19).ToArray();
        var y = new float[19];
        Kernels.SeluForward(x, y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        Kernels.MishForward(x, y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void WideLayersPassTheGradientCheck(Activation activation)
    {
        // 3 × 37 = 111 values per row block: the vector paths and the tail are both checked.
        var input = Random(3, 37, 11 + (long)activation, -3f, 3f);
        GradientChecker.AssertPasses([ActivationLayers.Create(activation, 37)], input);
    }

    [Fact]
    public void AutoInitialisationIsLeCunForSeluAndHeForMish()
    {
        Assert.Equal(WeightInit.LeCunNormal, WeightInitializer.Resolve(WeightInit.Auto, Activation.Selu));
        Assert.Equal(WeightInit.HeNormal, WeightInitializer.Resolve(WeightInit.Auto, Activation.Mish));
        Assert.Equal(0.75, WeightInitializer.Gain(Activation.Selu)); // torch.nn.init.calculate_gain('selu')
    }
}
