using MLNetBackprop.Engine;
using MLNetBackprop.Internals;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// The spec's one encoding (model payloads and checkpoints): every field survives, every spec that validates can be read
/// back (the reader's ranges are <see cref="NetworkSpec.Validate"/>'s), and a damaged record is refused naming the field.
/// </summary>
public class NetworkSpecCodecTests
{
    private static NetworkSpec RoundTrip(NetworkSpec spec)
    {
        var w = new PayloadWriter("Spec", 0);
        NetworkSpecCodec.Write(w, spec);
        var r = PayloadReader.FromBytes(w.ToArray(), "Spec", 0, 0);
        var read = NetworkSpecCodec.Read(r);
        r.EnsureEnd();
        return read;
    }

    private static void AssertSame(NetworkSpec expected, NetworkSpec actual)
    {
        Assert.True(NetworkSpecCodec.Same(expected, actual));
        Assert.Equal(expected with { HiddenLayers = [], EmbeddedFeatures = [], ClassWeights = null },
            actual with { HiddenLayers = [], EmbeddedFeatures = [], ClassWeights = null });
        Assert.Equal(expected.HiddenLayers, actual.HiddenLayers);
        Assert.Equal(expected.EmbeddedFeatures, actual.EmbeddedFeatures);
        Assert.Equal(expected.ClassWeights, actual.ClassWeights);
    }

    [Fact]
    public void EveryFieldSurvives()
    {
        var spec = new NetworkSpec
        {
            InputSize = 9, HiddenLayers = [24, 7], Activation = Activation.LeakyRelu, LeakyReluSlope = 0.2f, BatchNorm = true,
            Dropout = 0.25f, OutputSize = 3, Loss = LossKind.SoftmaxCrossEntropy, WeightInit = WeightInit.HeUniform,
            ClassWeights = [1f, 2.5f, 0f], LabelSmoothing = 0.1f, HuberDelta = 2f, InputScaling = true,
            EmbeddedFeatures = [0, 4, 8], EmbeddingFrequencies = 5, EmbeddingOutputs = 2,
        };
        AssertSame(spec, RoundTrip(spec));
        var tangent = new NetworkSpec { InputSize = 2, OutputSize = 1, Loss = LossKind.Huber, Parametrization = Parametrization.NeuralTangent };
        AssertSame(tangent, RoundTrip(tangent));
    }

    [Fact]
    public void EverySpecThatValidatesReadsBack()
    {
        float belowOne = MathF.BitDecrement(1f);
        var atTheLimits = new NetworkSpec
        {
            InputSize = 3, HiddenLayers = Enumerable.Repeat(2, NetworkSpec.MaxHiddenLayers).ToArray(), OutputSize = 2,
            Dropout = belowOne, LabelSmoothing = belowOne, LeakyReluSlope = float.MaxValue, HuberDelta = float.Epsilon,
        };
        atTheLimits.Validate();
        AssertSame(atTheLimits, RoundTrip(atTheLimits));
        foreach (var wide in new[]
        {
            new NetworkSpec { InputSize = NetworkSpec.MaxInputs, HiddenLayers = [64], OutputSize = 2 },
            new NetworkSpec { InputSize = 1, HiddenLayers = [NetworkSpec.MaxWidth], OutputSize = 2 },
            new NetworkSpec { InputSize = 1, OutputSize = NetworkSpec.MaxWidth },
        })
        {
            wide.Validate();
            AssertSame(wide, RoundTrip(wide));
        }

        // One more layer or unit than a file may hold is refused when the spec is validated, not when it is read back.
        Assert.Equal("HiddenLayers", Assert.Throws<ArgumentOutOfRangeException>(() =>
            (atTheLimits with { HiddenLayers = [.. atTheLimits.HiddenLayers, 2] }).Validate()).ParamName);
        Assert.Equal("HiddenLayers", Assert.Throws<ArgumentOutOfRangeException>(() =>
            new NetworkSpec { InputSize = 1, HiddenLayers = [NetworkSpec.MaxWidth + 1], OutputSize = 2 }.Validate()).ParamName);
        Assert.Equal("InputSize", Assert.Throws<ArgumentOutOfRangeException>(() =>
            new NetworkSpec { InputSize = NetworkSpec.MaxInputs + 1, OutputSize = 2 }.Validate()).ParamName);
    }

    [Fact]
    public void ADamagedRecordIsRefusedNamingTheField()
    {
        var w = new PayloadWriter("Spec", 0);
        NetworkSpecCodec.Write(w, new NetworkSpec { InputSize = 4, HiddenLayers = [5], OutputSize = 3 });
        byte[] frame = w.ToArray();
        int body = 24 + "Spec".Length;
        InvalidDataException Damaged(int offset, int value)
        {
            var copy = (byte[])frame.Clone();
            BitConverter.TryWriteBytes(copy.AsSpan(body + offset, 4), value);
            System.Security.Cryptography.SHA256.HashData(copy.AsSpan(0, copy.Length - 32), copy.AsSpan(copy.Length - 32));
            return Assert.Throws<InvalidDataException>(() => NetworkSpecCodec.Read(PayloadReader.FromBytes(copy, "Spec", 0, 0)));
        }
        Assert.Contains("spec version", Damaged(0, NetworkSpecCodec.Version + 1).Message);
        Assert.Contains("hidden layer count", Damaged(8, NetworkSpec.MaxHiddenLayers + 1).Message);
        Assert.Contains("hidden layer 0 width", Damaged(12, 0).Message);
        Assert.Contains("activation", Damaged(16, 99).Message);
    }
}
