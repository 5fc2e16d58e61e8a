using System.Diagnostics;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Samples.WhyBackprop;

/// <summary>The cost of one gradient of one network, both ways.</summary>
/// <param name="Hidden">The hidden layers.</param>
/// <param name="Parameters">P, the number of weights and biases.</param>
/// <param name="ForwardSeconds">One forward pass and the loss on the mini-batch (median of several).</param>
/// <param name="BackpropSeconds">One <see cref="Network.ComputeGradients"/>: forward, loss, backward (median of several).</param>
/// <param name="NumericalForwardPasses">Forward passes a numerical gradient takes: counted when it was run, else 2·P.</param>
/// <param name="NumericalSeconds">The measured time of the whole numerical gradient, or null when it would take too long and was estimated.</param>
public sealed record CostRow(int[] Hidden, long Parameters, double ForwardSeconds, double BackpropSeconds, long NumericalForwardPasses, double? NumericalSeconds)
{
    /// <summary>The numerical gradient's time: measured, or estimated as forward passes × the time of one.</summary>
    public double NumericalEstimateSeconds => NumericalSeconds ?? NumericalForwardPasses * ForwardSeconds;
}

/// <summary>
/// Why backpropagation (notes 001, 003): numerical differentiation needs two forward passes per parameter, so its
/// cost grows as P × (cost of a forward pass) ∝ P²; backpropagation gets all P derivatives from one forward and one
/// backward pass, ∝ P. This times both on the engine for networks of growing size.
/// </summary>
public static class GradientCost
{
    /// <summary>Inputs, classes and rows of the mini-batch the gradients are taken on.</summary>
    public const int Inputs = 64, Classes = 10, Rows = 100;

    /// <summary>
    /// Times one gradient of a 64 → <paramref name="hidden"/> → 10 ReLU network on <paramref name="rows"/> random rows:
    /// one forward pass, one backpropagation, and the whole numerical gradient (2·P forward passes, in the engine's
    /// float32) when its estimate is within <paramref name="numericalBudgetSeconds"/>.
    /// </summary>
    public static CostRow Measure(int[] hidden, int rows = Rows, double numericalBudgetSeconds = 1.0, long seed = 1)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var spec = new NetworkSpec { InputSize = Inputs, HiddenLayers = hidden, Activation = Activation.Relu, OutputSize = Classes };
        var network = new Network(spec, seed);
        var rng = new CounterRandom(seed, 5);
        var x = new Matrix(rows, Inputs);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextGaussian();
        var targets = Enumerable.Range(0, rows).Select(_ => (float)rng.NextInt(Classes)).ToArray();
        var lossGradient = new Matrix(rows, Classes);

        long calls = 0;
        double Loss()
        {
            calls++;
            return network.Loss.Compute(network.Forward(x, training: true), targets, default, lossGradient);
        }

        double forward = Median(() => Loss());
        double backprop = Median(() => network.ComputeGradients(x, targets, default));
        long parameters = network.ParameterCount;
        if (2 * parameters * forward > numericalBudgetSeconds)
            return new CostRow(hidden, parameters, forward, backprop, 2 * parameters, null);

        calls = 0;
        var clock = Stopwatch.StartNew();
        NumericalGradient.Compute(Loss, network.Parameters.Select(p => p.Value).ToArray(), 1e-2, out long passes);
        clock.Stop();
        if (passes != calls) throw new InvalidOperationException($"The numerical gradient reported {passes} forward passes but ran {calls}.");
        return new CostRow(hidden, parameters, forward, backprop, calls, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The median time of <paramref name="action"/> over at least 5 runs and about 0.2 s, after one warm-up run.</summary>
    private static double Median(Action action)
    {
        action();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (total.Elapsed.TotalSeconds < 0.2 && times.Count < 1000))
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
