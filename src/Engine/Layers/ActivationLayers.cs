namespace MLNetBackprop.Engine;

/// <summary>Builds the layer for an <see cref="Activation"/>.</summary>
public static class ActivationLayers
{
    /// <summary>Creates the activation layer for <paramref name="activation"/>.</summary>
    /// <param name="activation">The function.</param>
    /// <param name="width">Number of units.</param>
    /// <param name="leakySlope">Negative slope, used by <see cref="Activation.LeakyRelu"/> only.</param>
    public static ActivationLayer Create(Activation activation, int width, float leakySlope = 0.01f) => activation switch
    {
        Activation.Relu => new ReluLayer(width),
        Activation.LeakyRelu => new LeakyReluLayer(width, leakySlope),
        Activation.Sigmoid => new SigmoidLayer(width),
        Activation.Tanh => new TanhLayer(width),
        Activation.Softplus => new SoftplusLayer(width),
        Activation.Elu => new EluLayer(width),
        Activation.Gelu => new GeluLayer(width, approximateTanh: false),
        Activation.GeluTanh => new GeluLayer(width, approximateTanh: true),
        Activation.Silu => new SiluLayer(width),
        Activation.Identity => new IdentityLayer(width),
        Activation.Selu => new SeluLayer(width),
        Activation.Mish => new MishLayer(width),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}
