using MLNetBackprop.Engine;

namespace MLNetBackprop.Samples.Initialization;

/// <summary>How the hidden weights of one experiment are drawn: a fixed N(0, σ²), or one of the engine's schemes.</summary>
/// <param name="Name">Label for tables and plots, e.g. "sigmoid, N(0, 1)".</param>
/// <param name="Activation">The hidden layers' activation.</param>
/// <param name="Init">The engine's scheme (<see cref="WeightInitializer"/>); ignored when <paramref name="Std"/> is set.</param>
/// <param name="Std">A fixed standard deviation σ for every hidden weight, or null to use <paramref name="Init"/>.</param>
public sealed record InitScheme(string Name, Activation Activation, WeightInit Init, double? Std = null)
{
    /// <summary>The standard deviation of a hidden weight for a layer of <paramref name="fanIn"/> → <paramref name="fanOut"/> units.</summary>
    public double WeightStd(int fanIn, int fanOut) => Std ?? WeightInitializer.StandardDeviation(Init, fanIn, fanOut, Activation);
}

/// <summary>The activations of one hidden layer over all input rows, and their summary.</summary>
/// <param name="Layer">1 = the first hidden layer.</param>
/// <param name="Values">Every activation of the layer (rows × units).</param>
/// <param name="Mean">Mean of the values.</param>
/// <param name="Std">Standard deviation of the values: their spread.</param>
/// <param name="Saturated">Fraction within 0.05 of a saturated end: 0 or 1 for sigmoid, −1 or 1 for tanh (0 for ReLU).</param>
/// <param name="Zero">Fraction exactly 0 (ReLU's inactive units).</param>
public sealed record LayerActivations(int Layer, float[] Values, double Mean, double Std, double Saturated, double Zero);

/// <summary>
/// The experiment of note 001 on initialisation: random input rows (N(0, 1)) through a stack of equal-width hidden
/// layers with zero biases, in the engine (<see cref="Network"/>, inference mode), keeping every hidden layer's
/// activations. Too large a weight spread drives sigmoid/tanh into saturation, too small a spread collapses the
/// activations to one value; Xavier keeps sigmoid/tanh activations spread and He does the same for ReLU.
/// </summary>
public static class ActivationDistributions
{
    /// <summary>The classic setting: 1,000 rows, 5 hidden layers of 100 units.</summary>
    public const int Rows = 1000, Width = 100, Depth = 5;

    /// <summary>The nine experiments of the sample: three weight spreads for each of sigmoid, tanh and ReLU.</summary>
    public static IReadOnlyList<InitScheme> Schemes { get; } =
    [
        new("sigmoid, N(0, 1)", Activation.Sigmoid, WeightInit.Auto, 1.0),
        new("sigmoid, N(0, 0.01²)", Activation.Sigmoid, WeightInit.Auto, 0.01),
        new("sigmoid, Xavier normal", Activation.Sigmoid, WeightInit.XavierNormal),
        new("tanh, N(0, 1)", Activation.Tanh, WeightInit.Auto, 1.0),
        new("tanh, N(0, 0.01²)", Activation.Tanh, WeightInit.Auto, 0.01),
        new("tanh, Xavier normal (gain 5/3)", Activation.Tanh, WeightInit.XavierNormal),
        new("ReLU, N(0, 0.01²)", Activation.Relu, WeightInit.Auto, 0.01),
        new("ReLU, LeCun normal (1/√n)", Activation.Relu, WeightInit.LeCunNormal),
        new("ReLU, He normal", Activation.Relu, WeightInit.HeNormal),
    ];

    /// <summary>The scheme of <see cref="Schemes"/> with this name.</summary>
    public static InitScheme Scheme(string name) => Schemes.Single(s => s.Name == name);

    /// <summary>
    /// Runs <paramref name="rows"/> random rows through <paramref name="depth"/> hidden layers of
    /// <paramref name="width"/> units whose weights <paramref name="scheme"/> draws, and returns each hidden layer's
    /// activations (layer 1 first). The input rows depend on <paramref name="seed"/> only, so every scheme sees the same.
    /// </summary>
    public static LayerActivations[] Run(InitScheme scheme, int rows = Rows, int width = Width, int depth = Depth, long seed = 1)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        var spec = new NetworkSpec
        {
            InputSize = width,
            HiddenLayers = Enumerable.Repeat(width, depth).ToArray(),
            Activation = scheme.Activation,
            WeightInit = scheme.Std is null ? scheme.Init : WeightInit.Auto,
            OutputSize = 2,
        };
        var network = new Network(spec, seed);
        if (scheme.Std is double std)
        {
            // A fixed spread: every hidden weight from N(0, σ²) (the output layer is not looked at).
            for (int l = 0; l < depth; l++)
            {
                var rng = new CounterRandom(seed, 2, l);
                var w = network.DenseLayers[l].Weight.Value;
                for (int i = 0; i < w.Length; i++) w[i] = (float)(std * rng.NextGaussian());
            }
        }

        var input = new Matrix(rows, width);
        var inputRng = new CounterRandom(seed, 1);
        for (int i = 0; i < input.Length; i++) input.Data[i] = (float)inputRng.NextGaussian();

        var result = new List<LayerActivations>(depth);
        var x = input;
        foreach (var layer in network.Layers)
        {
            x = layer.Forward(x, training: false);
            if (layer is ActivationLayer) result.Add(Summarise(result.Count + 1, x.ToArray(), scheme.Activation));
            if (result.Count == depth) break;
        }
        return result.ToArray();
    }

    private static LayerActivations Summarise(int layer, float[] values, Activation activation)
    {
        double mean = values.Average(v => (double)v);
        double std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        double saturated = activation switch
        {
            Activation.Sigmoid => values.Count(v => v < 0.05f || v > 0.95f) / (double)values.Length,
            Activation.Tanh => values.Count(v => Math.Abs(v) > 0.95f) / (double)values.Length,
            _ => 0,
        };
        double zero = values.Count(v => v == 0f) / (double)values.Length;
        return new LayerActivations(layer, values, mean, std, saturated, zero);
    }
}
