using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// The network's fields of the options have one owner for validation, <see cref="NetworkSpec.Validate"/>: options are
/// refused by the same check training applies (its limits included), naming the option; and the spec training builds
/// is the one <see cref="MlpOptionsBase.ToSpec"/> makes.
/// </summary>
public class OptionsValidationTests
{
    public static IEnumerable<object[]> BadNetworkOptions =>
    [
        [new MlpMulticlassTrainer.Options { HiddenLayers = [8, 0] }, "HiddenLayers", "HiddenLayers[1] must be ≥ 1"],
        [new MlpMulticlassTrainer.Options { HiddenLayers = Enumerable.Repeat(4, NetworkSpec.MaxHiddenLayers + 1).ToArray() }, "HiddenLayers", "At most 64 hidden layers"],
        [new MlpMulticlassTrainer.Options { HiddenLayers = [NetworkSpec.MaxWidth + 1] }, "HiddenLayers", "at most"],
        [new MlpBinaryTrainer.Options { Activation = (Activation)99 }, "Activation", "Unknown activation"],
        [new MlpBinaryTrainer.Options { LeakyReluSlope = float.NaN }, "LeakyReluSlope", "finite"],
        [new MlpRegressionTrainer.Options { Dropout = 1f }, "Dropout", "[0, 1)"],
        [new MlpRegressionTrainer.Options { WeightInit = WeightInit.HeNormal, Parametrization = Parametrization.NeuralTangent }, "WeightInit", "neural-tangent"],
    ];

    [Theory]
    [MemberData(nameof(BadNetworkOptions))]
    public void NetworkOptionsAreRefusedBySpecValidationNamingTheOption(MlpOptionsBase options, string option, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(option, e.ParamName);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TheSpecCarriesEveryNetworkOption()
    {
        var options = new MlpBinaryTrainer.Options
        {
            HiddenLayers = [7, 5], Activation = Activation.LeakyRelu, LeakyReluSlope = 0.3f, BatchNorm = true, Dropout = 0.2f,
            WeightInit = WeightInit.XavierNormal, LearnFeatureScales = true,
        };
        var spec = options.ToSpec(11, new TaskPlan(TaskKind.Binary, 1, LossKind.SigmoidCrossEntropy, LabelSmoothing: 0.05f), [2, 4]);
        Assert.Equal((11, 1, LossKind.SigmoidCrossEntropy, 0.05f), (spec.InputSize, spec.OutputSize, spec.Loss, spec.LabelSmoothing));
        Assert.Equal([7, 5], spec.HiddenLayers);
        Assert.NotSame(options.HiddenLayers, spec.HiddenLayers); // a later change to the options does not reach a trained spec
        Assert.Equal((Activation.LeakyRelu, 0.3f, true, 0.2f, WeightInit.XavierNormal, true),
            (spec.Activation, spec.LeakyReluSlope, spec.BatchNorm, spec.Dropout, spec.WeightInit, spec.InputScaling));
        Assert.Equal([2, 4], spec.EmbeddedFeatures);
    }
}
