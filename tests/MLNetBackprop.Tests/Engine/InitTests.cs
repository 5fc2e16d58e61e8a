using System.Text.Json;
using MLNetBackprop.Engine;
using MLNetBackprop.Tests.Reference;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Every case of init.json: exact distribution parameters, and our own draws' statistics.</summary>
public class InitTests
{
    public static IEnumerable<object[]> InitCases => ReferenceData.CaseNames("init.json");

    [Fact]
    public void ReferenceFileHasTheExpectedCases() => Assert.Equal(14, InitCases.Count());

    /// <summary>Maps a case to (scheme, activation, slope) from its name and hyper-parameters.</summary>
    private static (WeightInit init, Activation activation, float slope) Map(JsonElement c)
    {
        string name = c.GetProperty("name").GetString()!;
        var hyper = c.GetProperty("hyperparameters");
        bool uniform = c.GetProperty("expected").GetProperty("distribution").GetString() == "uniform";
        if (name.StartsWith("xavier", StringComparison.Ordinal))
        {
            Assert.Equal(1.0, hyper.GetProperty("gain").GetDouble());
            return (uniform ? WeightInit.XavierUniform : WeightInit.XavierNormal, Activation.Identity, 0.01f);
        }
        Assert.Equal("fan_in", hyper.GetProperty("mode").GetString());
        var init = uniform ? WeightInit.HeUniform : WeightInit.HeNormal;
        return hyper.GetProperty("nonlinearity").GetString() switch
        {
            "relu" => (init, Activation.Relu, 0.01f),
            "leaky_relu" => (init, Activation.LeakyRelu, (float)hyper.GetProperty("a").GetDouble()),
            var n => throw new InvalidDataException($"Unknown nonlinearity {n}."),
        };
    }

    [Theory]
    [MemberData(nameof(InitCases))]
    public void DistributionParametersMatchTorch(string name)
    {
        var c = ReferenceData.Case("init.json", name);
        var (init, activation, slope) = Map(c);
        var inputs = c.GetProperty("inputs");
        int fanIn = inputs.GetProperty("fan_in").GetInt32(), fanOut = inputs.GetProperty("fan_out").GetInt32();
        var expected = c.GetProperty("expected");
        // float32 slopes (√5) carry ~1e-7 relative error into the gain.
        const double rtol = 1e-6;
        static void Near(double expected, double actual, string what) =>
            Assert.True(Math.Abs(actual - expected) <= rtol * Math.Abs(expected), $"{what}: {actual:R} vs {expected:R}");

        Near(c.GetProperty("hyperparameters").GetProperty("gain").GetDouble(), WeightInitializer.Gain(activation, slope), "gain");
        Near(expected.GetProperty("std").GetDouble(), WeightInitializer.StandardDeviation(init, fanIn, fanOut, activation, slope), "std");
        if (WeightInitializer.IsUniform(init, activation))
        {
            Near(expected.GetProperty("bound").GetDouble(), WeightInitializer.Bound(init, fanIn, fanOut, activation, slope), "bound");
            Near(expected.GetProperty("high").GetDouble(), WeightInitializer.Bound(init, fanIn, fanOut, activation, slope), "high");
        }
        else Assert.Throws<ArgumentException>(() => WeightInitializer.Bound(init, fanIn, fanOut, activation, slope));
    }

    /// <summary>
    /// Our draws against the exact parameters: the sample mean within 5 standard errors of 0, the
    /// sample std within 5 (approximate) standard errors of σ, and uniform draws inside [low, high].
    /// 5 SE makes a false alarm ~1e-6 likely per check, and the seeds are fixed anyway.
    /// </summary>
    [Theory]
    [MemberData(nameof(InitCases))]
    public void DrawsHaveTheExpectedStatistics(string name)
    {
        var c = ReferenceData.Case("init.json", name);
        var (init, activation, slope) = Map(c);
        var inputs = c.GetProperty("inputs");
        int fanIn = inputs.GetProperty("fan_in").GetInt32(), fanOut = inputs.GetProperty("fan_out").GetInt32();
        var expected = c.GetProperty("expected");
        var weight = new Parameter("w", fanIn * fanOut, isWeight: true);
        var rng = new CounterRandom(20240601, (long)RandomPurpose.Initialization, name.Length);
        WeightInitializer.Initialize(weight, fanIn, fanOut, init, activation, slope, ref rng);

        double mean = weight.Value.Average(v => (double)v);
        double std = Math.Sqrt(weight.Value.Average(v => (v - mean) * (v - mean)));
        Assert.True(Math.Abs(mean) <= 5 * expected.GetProperty("standard_error_of_sample_mean").GetDouble(), $"mean {mean}");
        Assert.True(Math.Abs(std - expected.GetProperty("std").GetDouble()) <= 5 * expected.GetProperty("approx_standard_error_of_sample_std").GetDouble(), $"std {std}");
        if (expected.GetProperty("distribution").GetString() == "uniform")
        {
            double low = expected.GetProperty("low").GetDouble(), high = expected.GetProperty("high").GetDouble();
            Assert.All(weight.Value, v => Assert.InRange(v, low * (1 + 1e-6), high * (1 + 1e-6)));
        }
    }

    [Theory]
    [InlineData(Activation.Relu, WeightInit.HeNormal)]
    [InlineData(Activation.LeakyRelu, WeightInit.HeNormal)]
    [InlineData(Activation.Elu, WeightInit.HeNormal)]
    [InlineData(Activation.Gelu, WeightInit.HeNormal)]
    [InlineData(Activation.GeluTanh, WeightInit.HeNormal)]
    [InlineData(Activation.Silu, WeightInit.HeNormal)]
    [InlineData(Activation.Softplus, WeightInit.HeNormal)]
    [InlineData(Activation.Sigmoid, WeightInit.XavierUniform)]
    [InlineData(Activation.Tanh, WeightInit.XavierUniform)]
    [InlineData(Activation.Identity, WeightInit.XavierUniform)]
    public void AutoResolvesByActivation(Activation activation, WeightInit expected)
    {
        Assert.Equal(expected, WeightInitializer.Resolve(WeightInit.Auto, activation));
        Assert.Equal(WeightInit.LeCunNormal, WeightInitializer.Resolve(WeightInit.LeCunNormal, activation));
    }

    [Fact]
    public void GainsFollowCalculateGain()
    {
        Assert.Equal(Math.Sqrt(2), WeightInitializer.Gain(Activation.Relu), 12);
        Assert.Equal(Math.Sqrt(2 / (1 + 0.2 * 0.2)), WeightInitializer.Gain(Activation.LeakyRelu, 0.2f), 7);
        Assert.Equal(5.0 / 3.0, WeightInitializer.Gain(Activation.Tanh), 12);
        Assert.Equal(1.0, WeightInitializer.Gain(Activation.Sigmoid));
        Assert.Equal(1.0, WeightInitializer.Gain(Activation.Identity));
        foreach (var a in new[] { Activation.Elu, Activation.Gelu, Activation.GeluTanh, Activation.Silu, Activation.Softplus })
            Assert.Equal(Math.Sqrt(2), WeightInitializer.Gain(a), 12);
        // Tanh with Auto: Xavier uniform with gain 5/3.
        Assert.Equal(5.0 / 3.0 * Math.Sqrt(6.0 / 30), WeightInitializer.Bound(WeightInit.Auto, 10, 20, Activation.Tanh), 12);
        Assert.Equal(1 / Math.Sqrt(50), WeightInitializer.StandardDeviation(WeightInit.LeCunNormal, 50, 7, Activation.Relu), 12);
        Assert.Equal(Math.Sqrt(2) / Math.Sqrt(50), WeightInitializer.StandardDeviation(WeightInit.Auto, 50, 7, Activation.Relu), 12);
    }

    [Fact]
    public void SameKeySameWeightsAndSizeIsChecked()
    {
        var a = new Parameter("a", 12, true);
        var b = new Parameter("b", 12, true);
        var r1 = new CounterRandom(5, (long)RandomPurpose.Initialization, 0);
        var r2 = new CounterRandom(5, (long)RandomPurpose.Initialization, 0);
        WeightInitializer.Initialize(a, 3, 4, WeightInit.Auto, Activation.Relu, 0.01f, ref r1);
        WeightInitializer.Initialize(b, 3, 4, WeightInit.Auto, Activation.Relu, 0.01f, ref r2);
        Assert.Equal(a.Value, b.Value);
        Assert.Contains(a.Value, v => v != 0f);
        var r3 = new CounterRandom(5);
        Assert.Throws<ArgumentException>(() => WeightInitializer.Initialize(a, 4, 4, WeightInit.Auto, Activation.Relu, 0.01f, ref r3));
    }
}
