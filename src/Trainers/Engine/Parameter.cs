namespace MLNetBackprop.Engine;

/// <summary>
/// A trainable tensor and its gradient, as an optimizer sees it: two flat buffers of equal
/// length. Layers own their parameters; optimizers know nothing of layers.
/// </summary>
public sealed class Parameter
{
    /// <summary>Creates a parameter of <paramref name="length"/> zeros.</summary>
    /// <param name="name">A readable name such as <c>dense1.weight</c>.</param>
    /// <param name="length">Number of values.</param>
    /// <param name="isWeight">True for weight matrices (subject to L2); false for biases and BatchNorm γ/β.</param>
    public Parameter(string name, int length, bool isWeight)
    {
        Name = name;
        Value = new float[length];
        Gradient = new float[length];
        IsWeight = isWeight;
    }

    /// <summary>A readable name such as <c>dense1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The values being learned.</summary>
    public float[] Value { get; }

    /// <summary>The gradient of the loss with respect to <see cref="Value"/>, written by Backward.</summary>
    public float[] Gradient { get; }

    /// <summary>True for weight matrices: the <c>L2</c> penalty applies to these only.</summary>
    public bool IsWeight { get; }

    /// <summary>Number of values.</summary>
    public int Length => Value.Length;
}
