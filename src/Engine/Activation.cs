namespace MLNetBackprop;

/// <summary>The hidden-layer activation functions of the engine.</summary>
public enum Activation
{
    /// <summary>max(0, x). The default for tabular data; He initialisation.</summary>
    Relu,
    /// <summary>x for x &gt; 0, slope·x otherwise (slope 0.01 by default).</summary>
    LeakyRelu,
    /// <summary>1/(1 + e⁻ˣ). Saturates; deep stacks suffer vanishing gradients.</summary>
    Sigmoid,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>log(1 + eˣ), a smooth ReLU.</summary>
    Softplus,
    /// <summary>x for x &gt; 0, eˣ − 1 otherwise.</summary>
    Elu,
    /// <summary>x·Φ(x), exact (erf) form.</summary>
    Gelu,
    /// <summary>GELU, tanh approximation.</summary>
    GeluTanh,
    /// <summary>x·sigmoid(x) (swish).</summary>
    Silu,
    /// <summary>x (no non-linearity).</summary>
    Identity,
    /// <summary>λ·x for x &gt; 0, λ·α·(eˣ − 1) otherwise (self-normalising; LeCun-normal initialisation).</summary>
    Selu,
    /// <summary>x·tanh(softplus(x)): smooth, ReLU-like, slightly negative below 0.</summary>
    Mish,
}
