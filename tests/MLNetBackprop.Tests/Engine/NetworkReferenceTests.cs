using System.Text.Json;
using MLNetBackprop.Engine;
using MLNetBackprop.Tests.Reference;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// network.json: a 3-5-4-2 MLP Linear → ReLU → Linear → BatchNorm1d → Tanh → Linear → CrossEntropy,
/// composed from our layers (BatchNorm only after the second layer, which <see cref="NetworkSpec"/>
/// cannot express), against libtorch in float64: forward intermediates, loss, every gradient, running
/// statistics, and the parameters after 3 Adam steps. Tolerance |ours − ref| ≤ 1e-5·|ref| + atol with
/// atol 1e-6, except where the case note gives its own (fc2.bias, see <see cref="Fc2BiasGradientAtol"/>).
/// </summary>
public class NetworkReferenceTests
{
    private const double Rtol = 1e-5, Atol = 1e-6;

    /// <summary>fc2.bias feeds a training-mode BatchNorm: its gradient is 0 exactly, stored values are rounding noise.</summary>
    private const double Fc2BiasGradientAtol = 1e-6;

    private sealed class Mlp
    {
        public readonly Dense Fc1 = new(3, 5, "fc1");
        public readonly ReluLayer Relu = new(5);
        public readonly Dense Fc2 = new(5, 4, "fc2");
        public readonly BatchNormLayer Bn = new(4, "bn");
        public readonly TanhLayer Tanh = new(4);
        public readonly Dense Fc3 = new(4, 2, "fc3");
        public readonly SoftmaxCrossEntropyLoss Loss = new();
        public Layer[] Layers => [Fc1, Relu, Fc2, Bn, Tanh, Fc3];
        public Parameter[] Parameters => Layers.SelectMany(l => l.Parameters).ToArray();

        /// <summary>Forward (training mode), loss and backward; returns the loss.</summary>
        public double Step(Matrix x, float[] targets)
        {
            var y = x;
            foreach (var l in Layers) y = l.Forward(y, training: true);
            var g = new Matrix(y.Rows, y.Columns);
            double loss = Loss.Compute(y, targets, default, g);
            Matrix? d = g;
            for (int i = Layers.Length - 1; i >= 0; i--) d = Layers[i].Backward(d!, needInputGradient: i > 0);
            return loss;
        }
    }

    private static readonly string[] TorchNames = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "bn.weight", "bn.bias", "fc3.weight", "fc3.bias"];

    /// <summary>Our values of a parameter (or its gradient) in torch's layout ([out, in] for weights).</summary>
    private static float[] InTorchLayout(Parameter p, float[] values, Mlp net)
    {
        var dense = new[] { net.Fc1, net.Fc2, net.Fc3 }.FirstOrDefault(d => d.Weight == p);
        return dense is null ? values : Transpose(values, dense.InputSize, dense.OutputSize);
    }

    private static void AssertClose(ReadOnlySpan<float> actual, JsonElement expected, string label, double atol = Atol)
    {
        var (e, _) = ReferenceData.TensorDouble(expected);
        Assert.Equal(e.Length, actual.Length);
        for (int i = 0; i < e.Length; i++)
        {
            double err = Math.Abs(actual[i] - e[i]), allowed = Rtol * Math.Abs(e[i]) + atol;
            Assert.True(err <= allowed, $"{label}[{i}]: ours {actual[i]:G9}, torch {e[i]:G12}, |error| {err:E2} > {allowed:E2}");
        }
    }

    private static (Mlp Net, Matrix X, float[] Targets, JsonElement Expected, JsonElement Hyper) Load()
    {
        var c = ReferenceData.Cases("network.json").Single();
        var inputs = c.GetProperty("inputs");
        var net = new Mlp();
        var byName = net.Parameters.ToDictionary(p => p.Name);
        foreach (string name in TorchNames)
        {
            var (values, shape) = ReferenceData.Tensor(inputs.GetProperty(name));
            var p = byName[name];
            // torch's nn.Linear weight is [out, in]; ours is [in, out].
            var ours = shape.Length == 2 ? Transpose(values, shape[0], shape[1]) : values;
            Assert.Equal(p.Length, ours.Length);
            ours.CopyTo(p.Value, 0);
        }
        var x = MatrixOf(inputs.GetProperty("input"));
        var targets = ReferenceData.Tensor(inputs.GetProperty("targets")).Values;
        return (net, x, targets, c.GetProperty("expected"), c.GetProperty("hyperparameters"));
    }

    [Fact]
    public void ForwardLossGradientsAndRunningStatsMatchTorch()
    {
        var (net, x, targets, expected, hyper) = Load();
        Assert.Equal(hyper.GetProperty("bn.eps").GetDouble(), net.Bn.Epsilon, 1e-12);
        Assert.Equal(hyper.GetProperty("bn.momentum").GetDouble(), net.Bn.Momentum, 1e-7);

        double loss = net.Step(x, targets);

        var fwd = expected.GetProperty("forward_intermediates");
        // Re-run the layers before BatchNorm (they keep no statistics) to read their outputs.
        var h1 = net.Relu.Forward(net.Fc1.Forward(x, true), true);
        AssertClose(h1.Span, fwd.GetProperty("fc1_relu_output"), "fc1_relu_output");
        var z2 = net.Fc2.Forward(h1, true);
        AssertClose(z2.Span, fwd.GetProperty("fc2_output"), "fc2_output");

        double expectedLoss = expected.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expectedLoss) <= Rtol * Math.Abs(expectedLoss) + Atol, $"loss {loss:G9} vs {expectedLoss:G12}");

        var grads = expected.GetProperty("gradients");
        foreach (var p in net.Parameters)
            AssertClose(InTorchLayout(p, p.Gradient, net), grads.GetProperty(p.Name), $"grad {p.Name}",
                p.Name == "fc2.bias" ? Fc2BiasGradientAtol : Atol);

        // The running statistics after exactly one training forward (the re-runs above did not touch BN).
        var stats = expected.GetProperty("running_stats_after_first_forward");
        AssertClose(net.Bn.RunningMean, stats.GetProperty("bn.running_mean"), "running_mean");
        AssertClose(net.Bn.RunningVariance, stats.GetProperty("bn.running_var"), "running_var");
        Assert.Equal(1, net.Bn.BatchesTracked);
    }

    [Fact]
    public void ForwardIntermediatesAfterBatchNormMatchTorch()
    {
        var (net, x, _, expected, _) = Load();
        var y = x;
        Matrix? tanh = null;
        foreach (var l in net.Layers)
        {
            y = l.Forward(y, training: true);
            if (l == net.Tanh) tanh = new Matrix(y.Rows, y.Columns, y.ToArray());
        }
        var fwd = expected.GetProperty("forward_intermediates");
        AssertClose(tanh!.Span, fwd.GetProperty("tanh_output"), "tanh_output");
        AssertClose(y.Span, fwd.GetProperty("logits"), "logits");
    }

    [Fact]
    public void ThreeAdamStepsMatchTorch()
    {
        var (net, x, targets, expected, hyper) = Load();
        Assert.Equal("Adam lr=0.01 beta1=0.9 beta2=0.999 eps=1e-8 weight_decay=0 amsgrad=false", hyper.GetProperty("optimizer").GetString());
        const double lr = 0.01;
        var state = Optimizer.Adam(lr, 0.9, 0.999, 1e-8).CreateState(net.Parameters);
        // The note: Adam turns fc2.bias's rounding-noise gradient into float32 updates of up to ~lr per
        // step, so after 3 steps fc2.bias is checked to 3·lr and bn.running_mean (which contains it,
        // weighted by the momentum 0.1) to 0.1·3·lr, absolute.
        const double fc2BiasAtol = 3 * lr, runningMeanAtol = 0.1 * 3 * lr;
        foreach (var step in expected.GetProperty("adam_steps").EnumerateArray())
        {
            int t = step.GetProperty("step").GetInt32();
            double loss = net.Step(x, targets);
            double expectedLoss = step.GetProperty("loss_before_step").GetDouble();
            Assert.True(Math.Abs(loss - expectedLoss) <= Rtol * Math.Abs(expectedLoss) + Atol, $"step {t}: loss {loss:G9} vs {expectedLoss:G12}");
            state.Step();
            var after = step.GetProperty("params_after_step");
            foreach (var p in net.Parameters)
                AssertClose(InTorchLayout(p, p.Value, net), after.GetProperty(p.Name), $"step {t} {p.Name}",
                    p.Name == "fc2.bias" ? fc2BiasAtol : Atol);
            AssertClose(net.Bn.RunningMean, step.GetProperty("bn.running_mean"), $"step {t} running_mean", t == 1 ? Atol : runningMeanAtol);
            AssertClose(net.Bn.RunningVariance, step.GetProperty("bn.running_var"), $"step {t} running_var");
        }
        Assert.Equal(3, state.StepCount);
        Assert.Equal(3, net.Bn.BatchesTracked);
    }
}
