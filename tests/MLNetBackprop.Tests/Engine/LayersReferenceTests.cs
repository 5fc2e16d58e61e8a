using System.Text.Json;
using MLNetBackprop.Engine;
using MLNetBackprop.Tests.Reference;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Every case of layers.json and activations.json, against TorchSharp/libtorch.</summary>
public class LayersReferenceTests
{
    public static IEnumerable<object[]> LayerCases => ReferenceData.CaseNames("layers.json");
    public static IEnumerable<object[]> ActivationCases => ReferenceData.CaseNames("activations.json");

    [Fact]
    public void ReferenceFilesHaveTheExpectedCases()
    {
        Assert.Equal(2, LayerCases.Count());
        Assert.Equal(9, ActivationCases.Count());
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void LayerCaseMatchesTorch(string name)
    {
        var c = ReferenceData.Case("layers.json", name);
        if (name.StartsWith("Linear", StringComparison.Ordinal)) CheckLinear(c);
        else if (name.StartsWith("BatchNorm1d", StringComparison.Ordinal)) CheckBatchNorm(c);
        else Assert.Fail($"No handler for layers.json case '{name}'.");
    }

    private static void CheckLinear(JsonElement c)
    {
        var inputs = c.GetProperty("inputs");
        var hyper = c.GetProperty("hyperparameters");
        int inSize = hyper.GetProperty("in_features").GetInt32(), outSize = hyper.GetProperty("out_features").GetInt32();
        Assert.True(hyper.GetProperty("bias").GetBoolean());
        var dense = new Dense(inSize, outSize, "dense0");
        Assert.Equal("dense0.weight", dense.Weight.Name);
        Assert.True(dense.Weight.IsWeight);
        Assert.False(dense.Bias.IsWeight);

        // torch's weight is [out, in]; ours is [in, out].
        var (w, wShape) = ReferenceData.Tensor(inputs.GetProperty("weight"));
        Assert.Equal([outSize, inSize], wShape);
        Transpose(w, outSize, inSize).CopyTo(dense.Weight.Value, 0);
        ReferenceData.Tensor(inputs.GetProperty("bias")).Values.CopyTo(dense.Bias.Value, 0);

        var x = MatrixOf(inputs.GetProperty("input"));
        var dy = MatrixOf(inputs.GetProperty("upstream_grad"));
        var y = dense.Forward(x, training: true);
        var dx = dense.Backward(dy)!;

        var e32 = c.GetProperty("expected_f32");
        var e64 = c.GetProperty("expected");
        AssertMatches(y.Span, e32.GetProperty("output"), e64.GetProperty("output"), "output");
        AssertMatches(dx.Span, e32.GetProperty("grad_input"), e64.GetProperty("grad_input"), "grad_input");
        AssertMatches(Transpose(dense.Weight.Gradient, inSize, outSize), e32.GetProperty("grad_weight"), e64.GetProperty("grad_weight"), "grad_weight");
        AssertMatches(dense.Bias.Gradient, e32.GetProperty("grad_bias"), e64.GetProperty("grad_bias"), "grad_bias");
    }

    private static void CheckBatchNorm(JsonElement c)
    {
        var inputs = c.GetProperty("inputs");
        var hyper = c.GetProperty("hyperparameters");
        int width = hyper.GetProperty("num_features").GetInt32();
        var bn = new BatchNormLayer(width, "bn0", (float)hyper.GetProperty("eps").GetDouble(), (float)hyper.GetProperty("momentum").GetDouble());
        Assert.All(bn.Gamma.Value, v => Assert.Equal(1f, v));
        Assert.All(bn.Beta.Value, v => Assert.Equal(0f, v));
        Assert.All(bn.RunningMean, v => Assert.Equal(0f, v));
        Assert.All(bn.RunningVariance, v => Assert.Equal(1f, v));
        Assert.False(bn.Gamma.IsWeight);

        ReferenceData.Tensor(inputs.GetProperty("weight_gamma")).Values.CopyTo(bn.Gamma.Value, 0);
        ReferenceData.Tensor(inputs.GetProperty("bias_beta")).Values.CopyTo(bn.Beta.Value, 0);
        ReferenceData.Tensor(inputs.GetProperty("initial_running_mean")).Values.CopyTo(bn.RunningMean, 0);
        ReferenceData.Tensor(inputs.GetProperty("initial_running_var")).Values.CopyTo(bn.RunningVariance, 0);

        // Training step.
        var t32 = c.GetProperty("expected_f32").GetProperty("train_mode");
        var t64 = c.GetProperty("expected").GetProperty("train_mode");
        var y = bn.Forward(MatrixOf(inputs.GetProperty("input_train")), training: true);
        AssertMatches(y.Span, t32.GetProperty("output"), t64.GetProperty("output"), "train output");
        AssertMatches(bn.LastMean.ToArray().Select(v => (float)v).ToArray(), t32.GetProperty("batch_mean"), t64.GetProperty("batch_mean"), "batch mean");
        AssertMatches(bn.LastVariance.ToArray().Select(v => (float)v).ToArray(),
            t32.GetProperty("batch_var_biased_used_for_normalization"), t64.GetProperty("batch_var_biased_used_for_normalization"), "batch variance");
        var dx = bn.Backward(MatrixOf(inputs.GetProperty("upstream_grad_train")))!;
        Assert.All(dx.ToArray(), v => Assert.True(float.IsFinite(v)));
        // dX is γ/√(σ²+ε) times a difference of upstream gradients, so float32 rounding of those
        // inputs (~3e-8) comes out multiplied by γ/√(σ²+ε) — 632 for the constant feature (σ² = 0,
        // γ = 2), where the exact column mean of dY is 0 and torch's float32 sum happened to hit 0
        // while ours leaves 2.4e-6. The absolute tolerance scales with that gain, per column.
        var gains = Enumerable.Range(0, width).Select(j => Math.Abs(bn.Gamma.Value[j]) / Math.Sqrt(bn.LastVariance[j] + bn.Epsilon)).ToArray();
        AssertMatches(dx.Span, t32.GetProperty("grad_input"), t64.GetProperty("grad_input"), "train grad_input",
            atolAt: i => AbsoluteTolerance * Math.Max(1.0, gains[i % width]));
        AssertMatches(bn.Gamma.Gradient, t32.GetProperty("grad_weight"), t64.GetProperty("grad_weight"), "train grad gamma");
        AssertMatches(bn.Beta.Gradient, t32.GetProperty("grad_bias"), t64.GetProperty("grad_bias"), "train grad beta");
        AssertMatches(bn.RunningMean, t32.GetProperty("running_mean_after"), t64.GetProperty("running_mean_after"), "running mean");
        AssertMatches(bn.RunningVariance, t32.GetProperty("running_var_after"), t64.GetProperty("running_var_after"), "running var");
        Assert.Equal(t64.GetProperty("num_batches_tracked_after").GetInt64(), bn.BatchesTracked);
        // The unbiased variance is what entered the running variance: (rv − (1−m)·rv0)/m.
        var (unbiased, _) = ReferenceData.TensorDouble(t64.GetProperty("batch_var_unbiased_used_for_running_var"));
        for (int j = 0; j < width; j++)
            Assert.Equal(unbiased[j], bn.LastVariance[j] * 6.0 / 5.0, 5);

        // Inference on a second input: running statistics, no update.
        var e32 = c.GetProperty("expected_f32").GetProperty("eval_mode_second_input");
        var e64 = c.GetProperty("expected").GetProperty("eval_mode_second_input");
        var ye = bn.Forward(MatrixOf(inputs.GetProperty("input_eval")), training: false);
        AssertMatches(ye.Span, e32.GetProperty("output"), e64.GetProperty("output"), "eval output");
        var dxe = bn.Backward(MatrixOf(inputs.GetProperty("upstream_grad_eval")))!;
        AssertMatches(dxe.Span, e32.GetProperty("grad_input"), e64.GetProperty("grad_input"), "eval grad_input");
        AssertMatches(bn.Gamma.Gradient, e32.GetProperty("grad_weight"), e64.GetProperty("grad_weight"), "eval grad gamma");
        AssertMatches(bn.Beta.Gradient, e32.GetProperty("grad_bias"), e64.GetProperty("grad_bias"), "eval grad beta");
        AssertMatches(bn.RunningMean, e32.GetProperty("running_mean_unchanged"), e64.GetProperty("running_mean_unchanged"), "running mean unchanged");
        AssertMatches(bn.RunningVariance, e32.GetProperty("running_var_unchanged"), e64.GetProperty("running_var_unchanged"), "running var unchanged");
        Assert.Equal(1, bn.BatchesTracked);
    }

    /// <summary>Maps an activations.json case to our layer, checking its hyper-parameters are ours.</summary>
    internal static ActivationLayer LayerFor(JsonElement c, int width)
    {
        string name = c.GetProperty("name").GetString()!;
        var hyper = c.GetProperty("hyperparameters");
        double Hyper(string key) => hyper.GetProperty(key).GetDouble();
        switch (name)
        {
            case "sigmoid": return new SigmoidLayer(width);
            case "tanh": return new TanhLayer(width);
            case "relu": return new ReluLayer(width);
            case "silu": return new SiluLayer(width);
            case "leaky_relu": return new LeakyReluLayer(width, (float)Hyper("negative_slope"));
            case "elu": return new EluLayer(width, (float)Hyper("alpha"));
            case "softplus":
                Assert.Equal(1.0, Hyper("beta"));
                Assert.Equal(20.0, Hyper("threshold"));
                return new SoftplusLayer(width);
        }
        if (name.StartsWith("gelu", StringComparison.Ordinal))
            return hyper.GetProperty("approximate").GetString() switch
            {
                "none" => new GeluLayer(width, approximateTanh: false),
                "tanh" => new GeluLayer(width, approximateTanh: true),
                var a => throw new InvalidDataException($"Unknown GELU approximation {a}."),
            };
        throw new InvalidDataException($"No layer for activations.json case '{name}'.");
    }

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void ActivationLayerMatchesTorch(string name)
    {
        var c = ReferenceData.Case("activations.json", name);
        var x = MatrixOf(c.GetProperty("inputs").GetProperty("x"));
        var layer = LayerFor(c, x.Columns);
        var y = layer.Forward(x, training: false);
        var dx = layer.Backward(Ones(x.Rows, x.Columns))!;
        var e32 = c.GetProperty("expected_f32");
        var e64 = c.GetProperty("expected");
        AssertMatches(y.Span, e32.GetProperty("value"), e64.GetProperty("value"), name + " value");
        AssertMatches(dx.Span, e32.GetProperty("derivative"), e64.GetProperty("derivative"), name + " derivative");

        // Same through the factory and in training mode.
        var viaFactory = ActivationLayers.Create(layer.Function, x.Columns, layer is LeakyReluLayer l ? l.Slope : 0.01f);
        Assert.Equal(layer.GetType(), viaFactory.GetType());
        AssertClose(viaFactory.Forward(x, training: true).Span, y.Span, name + " factory");
    }

    /// <summary>
    /// The float64 scalar maths against torch's float64 run: far tighter than the float32 test. The
    /// 1e-7 relative slack is for σ'/tanh' from the output, y·(1 − y), whose value near saturation
    /// moves by ~5e-8 relative per ulp of y; 1e-12 absolute covers values torch flushes to 0 (e.g.
    /// GELU(−10) = −7.6e-23, where torch's 1 + erf cancels).
    /// </summary>
    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void ScalarFunctionsMatchTorchInFloat64(string name)
    {
        var c = ReferenceData.Case("activations.json", name);
        var (x, _) = ReferenceData.TensorDouble(c.GetProperty("inputs").GetProperty("x"));
        var (v, _) = ReferenceData.TensorDouble(c.GetProperty("expected").GetProperty("value"));
        var (d, _) = ReferenceData.TensorDouble(c.GetProperty("expected").GetProperty("derivative"));
        var layer = LayerFor(c, 1);
        Func<double, double> f = layer.Reference, df = layer.ReferenceDerivative; // the layer's own float64 definition
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(f(x[i]) - v[i]) <= 1e-7 * Math.Abs(v[i]) + 1e-12, $"{name}({x[i]}) = {f(x[i]):R}, torch {v[i]:R}");
            Assert.True(Math.Abs(df(x[i]) - d[i]) <= 1e-7 * Math.Abs(d[i]) + 1e-12, $"{name}'({x[i]}) = {df(x[i]):R}, torch {d[i]:R}");
        }
    }
}
