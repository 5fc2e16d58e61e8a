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
    /// <param name="learningRateFactor">This parameter's learning rate relative to the optimizer's (PyTorch's per-group
    /// <c>lr</c>); finite and &gt; 0, default 1.</param>
    /// <param name="penaltyScale">The factor on this parameter's L2 penalty (see <see cref="PenaltyScale"/>); finite and &gt; 0, default 1.</param>
    public Parameter(string name, int length, bool isWeight, double learningRateFactor = 1.0, double penaltyScale = 1.0)
    {
        if (!(penaltyScale > 0 && double.IsFinite(penaltyScale)))
            throw new ArgumentOutOfRangeException(nameof(penaltyScale), penaltyScale, "The penalty scale must be a finite number > 0.");
        if (!(learningRateFactor > 0 && double.IsFinite(learningRateFactor)))
            throw new ArgumentOutOfRangeException(nameof(learningRateFactor), learningRateFactor, "The learning-rate factor must be a finite number > 0.");
        Name = name;
        Value = new float[length];
        IsWeight = isWeight;
        LearningRateFactor = learningRateFactor;
        PenaltyScale = penaltyScale;
    }

    /// <summary>
    /// The factor s on this parameter's L2 penalty, s·λ/2·Σw² (1 for most). A neural-tangent weight W, used as c·W, has
    /// s = c², so the penalty is λ/2·Σ(c·W)² — on the weights the layer computes with, the same in either parametrisation.
    /// </summary>
    public double PenaltyScale { get; }

    /// <summary>A readable name such as <c>dense1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The values being learned.</summary>
    public float[] Value { get; }

    /// <summary>The gradient of the loss with respect to <see cref="Value"/>, written by Backward.</summary>
    /// <remarks>Allocated on first use (thread-safely), so a network that only scores — a loaded model — never holds one.</remarks>
    public float[] Gradient
    {
        get
        {
            var gradient = Volatile.Read(ref _gradient);
            if (gradient is not null) return gradient;
            Interlocked.CompareExchange(ref _gradient, new float[Value.Length], null);
            return _gradient!;
        }
    }

    private float[]? _gradient;

    /// <summary>True for weight matrices: the <c>L2</c> penalty applies to these only.</summary>
    public bool IsWeight { get; }

    /// <summary>
    /// The factor on the optimizer's learning rate for this parameter (1 for most; e.g. 0.1 for the biases and 6 for
    /// the input scale of the neural-tangent recipe) — what a PyTorch parameter group with its own <c>lr</c> does.
    /// </summary>
    public double LearningRateFactor { get; }

    /// <summary>Number of values.</summary>
    public int Length => Value.Length;
}
