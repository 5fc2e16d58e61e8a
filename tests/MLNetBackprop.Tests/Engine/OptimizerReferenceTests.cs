using System.Text.Json;
using MLNetBackprop.Engine;
using MLNetBackprop.Tests.Reference;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Every case of optimizers.json: 8 steps from the given gradients, matched after each step.</summary>
public class OptimizerReferenceTests
{
    private const string File = "optimizers.json";

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in ReferenceData.CaseNameList(File)) data.Add(name);
        return data;
    }

    [Fact]
    public void FileHoldsTheDocumentedTwentyCases() => Assert.Equal(20, ReferenceData.CaseNameList(File).Count);

    /// <summary>Builds the optimizer of a case from its hyper-parameters through the public factories.</summary>
    internal static Optimizer FromCase(JsonElement c)
    {
        string name = c.GetProperty("name").GetString()!;
        var hp = c.GetProperty("hyperparameters");
        double D(string key) => hp.GetProperty(key).GetDouble();
        bool B(string key) => hp.GetProperty(key).GetBoolean();
        if (hp.TryGetProperty("maximize", out var maximize)) Assert.False(maximize.GetBoolean());

        string kind = name.Split(' ')[0];
        return kind switch
        {
            "SGD" when B("nesterov") => Optimizer.Nesterov(D("lr"), D("momentum"), D("weight_decay")), // torch requires dampening 0
            "SGD" when D("momentum") != 0 => Optimizer.Momentum(D("lr"), D("momentum"), D("dampening"), D("weight_decay")),
            "SGD" => Optimizer.Sgd(D("lr"), D("weight_decay")),
            "Adagrad" => Optimizer.Adagrad(D("lr"), D("lr_decay"), D("weight_decay"), D("initial_accumulator_value"), D("eps")),
            "RMSprop" => Optimizer.RmsProp(D("lr"), D("alpha"), D("eps"), D("weight_decay"), D("momentum"), B("centered")),
            "Adam" => Optimizer.Adam(D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay"), B("amsgrad")),
            "AdamW" => Optimizer.AdamW(D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay"), B("amsgrad")),
            "Adadelta" => Optimizer.AdaDelta(D("lr"), D("rho"), D("eps"), D("weight_decay")),
            "NAdam" => Optimizer.Nadam(D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay"), D("momentum_decay")),
            "Adamax" => Optimizer.Adamax(D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay")),
            _ => throw new InvalidOperationException($"No optimizer for case '{name}'."),
        };
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesTorchAfterEachStep(string caseName) => Run(caseName, split: false);

    /// <summary>The same run with the 6 values split over two parameters: the rules are element-wise and state is per parameter.</summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesTorchWithTwoParameters(string caseName) => Run(caseName, split: true);

    private static void Run(string caseName, bool split)
    {
        var c = ReferenceData.Case(File, caseName);
        var (initial, _) = ReferenceData.Tensor(c.GetProperty("inputs").GetProperty("initial_params"));
        var (gradients, gShape) = ReferenceData.Tensor(c.GetProperty("inputs").GetProperty("gradients"));
        var (expected, eShape) = ReferenceData.Tensor(c.GetProperty("expected_f32").GetProperty("params_after_each_step"));
        int n = initial.Length, steps = gShape[0];
        Assert.Equal(8, steps);
        Assert.Equal([steps, n], eShape);

        var optimizer = FromCase(c);
        int half = split ? n / 2 : n;
        var parameters = split
            ? new[] { new Parameter("a", half, isWeight: true), new Parameter("b", n - half, isWeight: false) }
            : new[] { new Parameter("p", n, isWeight: true) };
        initial.AsSpan(0, half).CopyTo(parameters[0].Value);
        if (split) initial.AsSpan(half).CopyTo(parameters[1].Value);
        var state = optimizer.CreateState(parameters);

        for (int step = 0; step < steps; step++)
        {
            gradients.AsSpan(step * n, half).CopyTo(parameters[0].Gradient);
            if (split) gradients.AsSpan(step * n + half, n - half).CopyTo(parameters[1].Gradient);
            state.Step();
            Assert.Equal(step + 1, state.StepCount);
            var actual = split ? [.. parameters[0].Value, .. parameters[1].Value] : parameters[0].Value;
            for (int i = 0; i < n; i++)
            {
                float reference = expected[step * n + i];
                double error = Math.Abs((double)actual[i] - reference);
                Assert.True(error <= 1e-5 * Math.Abs(reference) + 1e-6,
                    $"{caseName}: step {step + 1}, element {i}: ours {actual[i]:R}, torch {reference:R} (|Δ| = {error:G3}).");
            }
        }
    }
}
