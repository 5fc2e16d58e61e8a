namespace MLNetBackprop.Engine;

/// <summary>
/// The activations the scoring product applies in its own loop, before the store (<see cref="Kernels.BiasActivate"/>):
/// a layer whose activation is one of these says so (<see cref="ActivationLayer.Fused"/>); any other runs after the
/// product.
/// </summary>
internal enum FusedActivation
{
    /// <summary>None inside the product (no activation, or one that runs after it).</summary>
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    LeakyRelu,
}
