namespace MLNetBackprop.Engine;

/// <summary>
/// What a <see cref="Network"/> is made of: input width, hidden layer widths, activation,
/// optional batch normalisation (between each affine layer and its activation) and dropout
/// (after each hidden activation), output width and loss. Immutable once a network is built.
/// </summary>
public sealed record NetworkSpec
{
    /// <summary>Number of input features.</summary>
    public required int InputSize { get; init; }

    /// <summary>Width of each hidden layer, first to last (empty = a linear model).</summary>
    public int[] HiddenLayers { get; init; } = [];

    /// <summary>Activation of every hidden layer.</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>Negative slope of <see cref="Activation.LeakyRelu"/>.</summary>
    public float LeakySlope { get; init; } = 0.01f;

    /// <summary>Insert batch normalisation between each hidden affine layer and its activation.</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Dropout rate after each hidden activation, in [0, 1).</summary>
    public float Dropout { get; init; }

    /// <summary>Number of outputs (classes for softmax, 1 for binary or single-target regression).</summary>
    public required int OutputSize { get; init; }

    /// <summary>The loss applied to the outputs.</summary>
    public LossKind Loss { get; init; } = LossKind.SoftmaxCrossEntropy;

    /// <summary>Weight initialisation scheme.</summary>
    public WeightInit WeightInit { get; init; } = WeightInit.Auto;

    /// <summary>Per-class weights for softmax cross-entropy (null = all 1).</summary>
    public float[]? ClassWeights { get; init; }

    /// <summary>Label smoothing for softmax cross-entropy, in [0, 1).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>δ of the Huber loss.</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>Checks every value, naming the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "InputSize must be ≥ 1.");
        if (OutputSize < 1) throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, "OutputSize must be ≥ 1.");
        ArgumentNullException.ThrowIfNull(HiddenLayers, nameof(HiddenLayers));
        for (int i = 0; i < HiddenLayers.Length; i++)
            if (HiddenLayers[i] < 1)
                throw new ArgumentOutOfRangeException(nameof(HiddenLayers), HiddenLayers[i], $"HiddenLayers[{i}] must be ≥ 1.");
        if (!Enum.IsDefined(Activation)) throw new ArgumentOutOfRangeException(nameof(Activation), Activation, "Unknown activation.");
        if (!Enum.IsDefined(WeightInit)) throw new ArgumentOutOfRangeException(nameof(WeightInit), WeightInit, "Unknown weight initialisation.");
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Unknown loss.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be in [0, 1).");
        if (!(LeakySlope >= 0 && float.IsFinite(LeakySlope))) throw new ArgumentOutOfRangeException(nameof(LeakySlope), LeakySlope, "LeakySlope must be a finite number ≥ 0.");
        if (!(HuberDelta > 0 && float.IsFinite(HuberDelta))) throw new ArgumentOutOfRangeException(nameof(HuberDelta), HuberDelta, "HuberDelta must be a finite number > 0.");
        if (Loss == LossKind.SoftmaxCrossEntropy && OutputSize < 2)
            throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, "Softmax cross-entropy needs at least 2 outputs.");
        if (ClassWeights is not null)
        {
            if (ClassWeights.Length != OutputSize)
                throw new ArgumentOutOfRangeException(nameof(ClassWeights), ClassWeights.Length, $"ClassWeights has {ClassWeights.Length} values; the network has {OutputSize} outputs.");
            foreach (float w in ClassWeights)
                if (!(w >= 0 && float.IsFinite(w)))
                    throw new ArgumentOutOfRangeException(nameof(ClassWeights), w, "Class weights must be finite numbers ≥ 0.");
        }
    }
}
