using MLNetBackprop.Engine;

namespace MLNetBackprop.Samples.WhyBackprop;

/// <summary>Backpropagation's gradient next to numerical differentiation's, on one small network.</summary>
/// <param name="Names">The parameter each value belongs to, e.g. "dense1.weight[3]".</param>
/// <param name="Backprop">The engine's gradient (<see cref="Network.ComputeGradients"/>: one forward and one backward pass, float32).</param>
/// <param name="Numerical">The central difference of the same loss computed in float64 (h = 1e-5): 2 forward passes per parameter.</param>
/// <param name="NumericalFloat32">The central difference of the engine's own float32 loss (h = 1e-2·max(1, |θ|)).</param>
/// <param name="ForwardPasses">Forward passes the float64 numerical gradient took (2 per parameter).</param>
public sealed record GradientComparison(string[] Names, double[] Backprop, double[] Numerical, double[] NumericalFloat32, long ForwardPasses)
{
    /// <summary>Number of parameters.</summary>
    public int Parameters => Backprop.Length;

    /// <summary>max over the parameters of |a − b| / max(|a|, |b|) (0 where both are 0): backprop against the float64 numerical gradient.</summary>
    public double MaxRelativeError => GradientCheck.MaxRelativeError(Backprop, Numerical);

    /// <summary>The same for the engine's float32 numerical gradient: what rounding in float32 leaves of a difference quotient.</summary>
    public double MaxRelativeErrorFloat32 => GradientCheck.MaxRelativeError(NumericalFloat32, Numerical);

    /// <summary>max |backprop − numerical| over the parameters.</summary>
    public double MaxAbsoluteError => Backprop.Zip(Numerical, (a, b) => Math.Abs(a - b)).Max();
}

/// <summary>
/// A gradient check in the sense of notes 001 and 003: the engine's backpropagation against numerical differentiation
/// on a small network. The numerical gradient is taken in float64 on the same weights through a float64 forward pass
/// written out from the definitions (affine layers, the activation, softmax cross-entropy, the mean over rows), so its
/// own error (~1e-10) is far below float32's rounding, and what is measured is the engine's backward pass.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// Builds a <paramref name="inputs"/> → <paramref name="hidden"/> → <paramref name="classes"/> network with
    /// <paramref name="activation"/> units (random weights and biases from <paramref name="seed"/>), draws
    /// <paramref name="rows"/> random rows and classes, and compares the three gradients of the mean cross-entropy.
    /// </summary>
    public static GradientComparison Compare(int inputs = 8, int[]? hidden = null, int classes = 4, int rows = 16,
        Activation activation = Activation.Sigmoid, long seed = 1)
    {
        hidden ??= [6, 5];
        var spec = new NetworkSpec { InputSize = inputs, HiddenLayers = hidden, Activation = activation, OutputSize = classes };
        var network = new Network(spec, seed);
        var rng = new CounterRandom(seed, 3);
        foreach (var dense in network.DenseLayers)
            for (int i = 0; i < dense.Bias.Length; i++) dense.Bias.Value[i] = (float)(0.5 * rng.NextGaussian());
        var x = new Matrix(rows, inputs);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextGaussian();
        var targets = Enumerable.Range(0, rows).Select(_ => (float)rng.NextInt(classes)).ToArray();

        // Backpropagation: one forward pass, one backward pass.
        network.ComputeGradients(x, targets, default);
        var backprop = network.Parameters.SelectMany(p => p.Gradient.Select(g => (double)g)).ToArray();
        var names = network.Parameters.SelectMany(p => Enumerable.Range(0, p.Length).Select(i => $"{p.Name}[{i}]")).ToArray();

        // Numerical differentiation in float64, on a float64 copy of the same weights.
        var reference = new ReferenceNetwork(network, activation);
        var numerical = NumericalGradient.Compute(() => reference.Loss(x, targets), reference.Parameters, 1e-5, out long passes);

        // Numerical differentiation through the engine itself (float32 forward passes).
        var output = new Matrix(rows, classes);
        double EngineLoss() => network.Loss.Compute(network.Forward(x, training: true), targets, default, output);
        var numericalFloat = NumericalGradient.Compute(EngineLoss, network.Parameters.Select(p => p.Value).ToArray(), 1e-2, out _);

        return new GradientComparison(names, backprop, numerical, numericalFloat, passes);
    }

    /// <summary>max over i of |a[i] − b[i]| / max(|a[i]|, |b[i]|), counting 0 where both are 0.</summary>
    public static double MaxRelativeError(double[] a, double[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double scale = Math.Max(Math.Abs(a[i]), Math.Abs(b[i]));
            if (scale > 0) worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / scale);
        }
        return worst;
    }

    /// <summary>The engine network's function, in float64, from the definitions.</summary>
    private sealed class ReferenceNetwork
    {
        private readonly (double[] W, double[] B, int In, int Out)[] _layers;
        /// <summary>The activation's own float64 definition (<see cref="ActivationLayer.Reference"/>).</summary>
        private readonly ActivationLayer _activation;

        public ReferenceNetwork(Network network, Activation activation)
        {
            _activation = ActivationLayers.Create(activation, 1, network.Spec.LeakyReluSlope);
            _layers = network.DenseLayers
                .Select(d => (d.Weight.Value.Select(v => (double)v).ToArray(), d.Bias.Value.Select(v => (double)v).ToArray(), d.InputSize, d.OutputSize))
                .ToArray();
            Parameters = _layers.SelectMany(l => new[] { l.W, l.B }).ToArray();
        }

        /// <summary>W then b of each affine layer: the order of <see cref="Network.Parameters"/>.</summary>
        public double[][] Parameters { get; }

        /// <summary>Mean softmax cross-entropy over the rows.</summary>
        public double Loss(Matrix x, float[] targets)
        {
            double total = 0;
            for (int r = 0; r < x.Rows; r++)
            {
                double[] a = new double[x.Columns];
                for (int j = 0; j < a.Length; j++) a[j] = x[r, j];
                for (int l = 0; l < _layers.Length; l++)
                {
                    var (w, b, inputs, outputs) = _layers[l];
                    var z = new double[outputs];
                    for (int o = 0; o < outputs; o++)
                    {
                        double sum = b[o];
                        for (int i = 0; i < inputs; i++) sum += a[i] * w[i * outputs + o];   // W is [in × out] row-major
                        z[o] = l == _layers.Length - 1 ? sum : Activate(sum);
                    }
                    a = z;
                }
                double max = a.Max();
                double logSumExp = max + Math.Log(a.Sum(v => Math.Exp(v - max)));
                total += logSumExp - a[(int)targets[r]];
            }
            return total / x.Rows;
        }

        private double Activate(double z) => _activation.Reference(z);
    }
}
