namespace MLNetBackprop.Engine;

/// <summary>
/// Weight initialisation exactly as torch.nn.init defines the distributions (the draws come from
/// <see cref="CounterRandom"/>, so they are reproducible but not torch's numbers). Every scheme but
/// LeCun takes the gain of the layer's activation (torch.nn.init.calculate_gain). Biases stay 0.
/// </summary>
public static class WeightInitializer
{
    /// <summary>
    /// Resolves <see cref="WeightInit.Auto"/> to what the activation asks for (<see cref="ActivationLayer.AutoInit"/>: He
    /// normal for the ReLU family, LeCun normal for SELU, Xavier uniform for sigmoid, tanh and identity). Other values pass
    /// through.
    /// </summary>
    /// <param name="init">The requested scheme.</param>
    /// <param name="activation">The activation that follows the layer.</param>
    public static WeightInit Resolve(WeightInit init, Activation activation)
        => init != WeightInit.Auto ? init : ActivationLayers.Create(activation, 1).AutoInit;

    /// <summary>
    /// The recommended gain of torch.nn.init.calculate_gain, as the activation states it (<see cref="ActivationLayer.InitGain"/>):
    /// √2 for ReLU, √(2/(1 + a²)) for leaky ReLU with slope a, 5/3 for tanh, 1 for sigmoid and identity, 3/4 for SELU;
    /// ReLU's √2 for the smooth ReLU-like functions torch has no gain for (ELU, GELU, SiLU, softplus, Mish).
    /// </summary>
    /// <param name="activation">The activation.</param>
    /// <param name="leakySlope">The leaky ReLU slope a (ignored otherwise).</param>
    public static double Gain(Activation activation, float leakySlope = 0.01f) => ActivationLayers.Create(activation, 1, leakySlope).InitGain;

    /// <summary>True when the (resolved) scheme draws from a uniform distribution.</summary>
    /// <param name="init">The scheme; Auto is resolved with <paramref name="activation"/>.</param>
    /// <param name="activation">The activation that follows the layer.</param>
    public static bool IsUniform(WeightInit init, Activation activation)
        => Resolve(init, activation) is WeightInit.XavierUniform or WeightInit.HeUniform;

    /// <summary>
    /// The half-width b of a uniform scheme U(−b, b): Xavier b = gain·√(6/(fan_in + fan_out)),
    /// He (kaiming) b = gain·√(3/fan_in).
    /// </summary>
    /// <param name="init">A uniform scheme (Auto is resolved first).</param>
    /// <param name="fanIn">Inputs of the layer.</param>
    /// <param name="fanOut">Outputs of the layer.</param>
    /// <param name="activation">The activation that follows the layer (gives the gain).</param>
    /// <param name="leakySlope">The leaky ReLU slope.</param>
    /// <exception cref="ArgumentException">The scheme is a normal one.</exception>
    public static double Bound(WeightInit init, int fanIn, int fanOut, Activation activation, float leakySlope = 0.01f)
    {
        CheckFans(fanIn, fanOut);
        double gain = Gain(activation, leakySlope);
        return Resolve(init, activation) switch
        {
            WeightInit.XavierUniform => gain * Math.Sqrt(6.0 / (fanIn + (double)fanOut)),
            WeightInit.HeUniform => gain * Math.Sqrt(3.0 / fanIn),
            var other => throw new ArgumentException($"{other} is not a uniform scheme.", nameof(init)),
        };
    }

    /// <summary>
    /// The standard deviation of the weights: Xavier normal gain·√(2/(fan_in + fan_out)), He normal
    /// gain/√fan_in, LeCun normal 1/√fan_in, and b/√3 for the uniform schemes.
    /// </summary>
    /// <param name="init">The scheme (Auto is resolved first).</param>
    /// <param name="fanIn">Inputs of the layer.</param>
    /// <param name="fanOut">Outputs of the layer.</param>
    /// <param name="activation">The activation that follows the layer (gives the gain).</param>
    /// <param name="leakySlope">The leaky ReLU slope.</param>
    public static double StandardDeviation(WeightInit init, int fanIn, int fanOut, Activation activation, float leakySlope = 0.01f)
    {
        CheckFans(fanIn, fanOut);
        double gain = Gain(activation, leakySlope);
        return Resolve(init, activation) switch
        {
            WeightInit.XavierUniform or WeightInit.HeUniform => Bound(init, fanIn, fanOut, activation, leakySlope) / Math.Sqrt(3.0),
            WeightInit.XavierNormal => gain * Math.Sqrt(2.0 / (fanIn + (double)fanOut)),
            WeightInit.HeNormal => gain / Math.Sqrt(fanIn),
            WeightInit.LeCunNormal => 1.0 / Math.Sqrt(fanIn),
            var other => throw new ArgumentOutOfRangeException(nameof(init), other, "Unknown initialisation."),
        };
    }

    /// <summary>Fills a weight of fan_in × fan_out values from the scheme's distribution.</summary>
    /// <param name="weight">The weight parameter (length fan_in·fan_out; its layout does not matter, the draws are i.i.d.).</param>
    /// <param name="fanIn">Inputs of the layer.</param>
    /// <param name="fanOut">Outputs of the layer.</param>
    /// <param name="init">The scheme (Auto is resolved with <paramref name="activation"/>).</param>
    /// <param name="activation">The activation that follows the layer.</param>
    /// <param name="leakySlope">The leaky ReLU slope.</param>
    /// <param name="rng">The random stream, advanced by the draws.</param>
    public static void Initialize(Parameter weight, int fanIn, int fanOut, WeightInit init, Activation activation, float leakySlope, ref CounterRandom rng)
    {
        ArgumentNullException.ThrowIfNull(weight);
        CheckFans(fanIn, fanOut);
        if (weight.Length != (long)fanIn * fanOut)
            throw new ArgumentException($"A {fanIn}×{fanOut} weight has {(long)fanIn * fanOut} values; the parameter has {weight.Length}.", nameof(weight));
        var values = weight.Value;
        if (IsUniform(init, activation))
        {
            double b = Bound(init, fanIn, fanOut, activation, leakySlope);
            for (int i = 0; i < values.Length; i++) values[i] = (float)((2.0 * rng.NextDouble() - 1.0) * b);
        }
        else
        {
            double sigma = StandardDeviation(init, fanIn, fanOut, activation, leakySlope);
            for (int i = 0; i < values.Length; i++) values[i] = (float)(sigma * rng.NextGaussian());
        }
    }

    /// <summary>
    /// The neural-tangent initialisation of a hidden affine layer: every weight and bias drawn N(0, 1) (weights first,
    /// then biases, from <paramref name="rng"/>); the layer's <see cref="Dense.WeightFactor"/> 1/√fan_in gives the
    /// products their LeCun scale.
    /// </summary>
    /// <param name="dense">The layer.</param>
    /// <param name="rng">The random stream, advanced by the draws.</param>
    public static void InitializeNeuralTangent(Dense dense, ref CounterRandom rng)
    {
        ArgumentNullException.ThrowIfNull(dense);
        var w = dense.Weight.Value;
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextGaussian();
        var b = dense.Bias.Value;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextGaussian();
    }

    private static void CheckFans(int fanIn, int fanOut)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanOut);
    }
}
