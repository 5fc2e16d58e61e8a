namespace MLNetBackprop;

/// <summary>How the affine layers are parametrised and initialised.</summary>
public enum Parametrization
{
    /// <summary>Y = X·W + b with W drawn by the <see cref="WeightInit"/> scheme and b = 0 (PyTorch's nn.Linear with torch.nn.init).</summary>
    Standard,

    /// <summary>
    /// The neural-tangent parametrisation of RealMLP (Holzmüller et al., NeurIPS 2024): Y = (X·W)/√fan_in + b with W and
    /// b drawn N(0, 1), the biases learning at 0.1× the rate, and the output layer starting at zero (so the first
    /// predictions are the label prior, and no random output direction has to be unlearned). One learning rate then
    /// suits every width; <see cref="WeightInit"/> must be <see cref="WeightInit.Auto"/>.
    /// </summary>
    NeuralTangent,
}
