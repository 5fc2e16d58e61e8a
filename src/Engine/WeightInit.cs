namespace MLNetBackprop;

/// <summary>Weight initialisation schemes, as torch.nn.init defines them. Biases always start at 0.</summary>
public enum WeightInit
{
    /// <summary>He (normal) for the ReLU family (ReLU, leaky ReLU, ELU, GELU, SiLU, softplus, Mish); LeCun (normal) for SELU; Xavier (uniform) for sigmoid (gain 1), tanh (gain 5/3) and identity (gain 1).</summary>
    Auto,
    /// <summary>U(−b, b), b = gain·√(6/(fan_in + fan_out)).</summary>
    XavierUniform,
    /// <summary>N(0, σ), σ = gain·√(2/(fan_in + fan_out)).</summary>
    XavierNormal,
    /// <summary>U(−b, b), b = gain·√(3/fan_in), gain = √2 for ReLU (√(2/(1+a²)) for leaky ReLU).</summary>
    HeUniform,
    /// <summary>N(0, σ), σ = gain/√fan_in, gain = √2 for ReLU (√(2/(1+a²)) for leaky ReLU).</summary>
    HeNormal,
    /// <summary>N(0, σ), σ = 1/√fan_in (the seed notes' "1/√n").</summary>
    LeCunNormal,
}
