namespace MLNetBackprop.Engine;

/// <summary>
/// What a <see cref="Network"/> is made of: input width, an optional learnable input scale, hidden layer widths,
/// activation, optional batch normalisation (between each affine layer and its activation) and dropout
/// (after each hidden activation), output width and loss, and how the affine layers are parametrised.
/// Immutable once a network is built.
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
    public float LeakyReluSlope { get; init; } = 0.01f;

    /// <summary>The former name of <see cref="LeakyReluSlope"/> (the options' name now names both).</summary>
    [Obsolete("Use LeakyReluSlope, the name MlpOptionsBase uses.")]
    public float LeakySlope { get => LeakyReluSlope; init => LeakyReluSlope = value; }

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

    /// <summary>How the affine layers are parametrised and initialised (default <see cref="MLNetBackprop.Parametrization.Standard"/>).</summary>
    public Parametrization Parametrization { get; init; } = Parametrization.Standard;

    /// <summary>A learnable per-feature scale (<see cref="ScaleLayer"/>, learning at <see cref="ScaleLearningRateFactor"/>× the rate) before the first affine layer.</summary>
    public bool InputScaling { get; init; }

    /// <summary>
    /// The input features given periodic embeddings (<see cref="PeriodicEmbeddingLayer"/>), ascending indices; empty for
    /// none (default). The trainers choose the numeric ones (more than two distinct values).
    /// </summary>
    public int[] EmbeddedFeatures { get; init; } = [];

    /// <summary>p, frequencies per embedded feature (default 16).</summary>
    public int EmbeddingFrequencies { get; init; } = 16;

    /// <summary>q, learned values per embedded feature (default 3; the feature itself is kept too).</summary>
    public int EmbeddingOutputs { get; init; } = 3;

    /// <summary>The input scale's learning-rate factor (RealMLP's 6: the scales must move faster than the weights they feed).</summary>
    public const double ScaleLearningRateFactor = 6.0;

    /// <summary>The biases' learning-rate factor in the neural-tangent parametrisation (RealMLP's 0.1).</summary>
    public const double NeuralTangentBiasLearningRateFactor = 0.1;

    /// <summary>Per-class weights for softmax cross-entropy (null = all 1).</summary>
    public float[]? ClassWeights { get; init; }

    /// <summary>Label smoothing for softmax or sigmoid cross-entropy, in [0, 1).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>δ of the Huber loss.</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>
    /// The number of values in the state buffers of a <see cref="Network"/> built from this spec (parameters and running
    /// statistics), computed without building it — so a model file's sizes can be checked before anything is allocated.
    /// A test keeps it equal to the built network's count.
    /// </summary>
    public long StateValueCount()
    {
        // checked: a forged or absurd spec overflows here with an exception, never wraps around to a small count.
        checked
        {
            long m = EmbeddedFeatures.Length, p = EmbeddingFrequencies, q = EmbeddingOutputs;
            long width = InputSize + m * q;
            long values = m * (2 * p + q * p + q) + (InputScaling ? width : 0);
            foreach (int units in HiddenLayers)
            {
                values += width * units + units + (BatchNorm ? 4L * units : 0);
                width = units;
            }
            return values + width * OutputSize + OutputSize;
        }
    }

    /// <summary>The most values one parameter may hold (a .NET array's limit).</summary>
    public const long MaxParameterValues = 0x7FFFFFC7;

    /// <summary>The most input features a network may have (what a model file or checkpoint may describe).</summary>
    public const int MaxInputs = 1 << 24;

    /// <summary>The most hidden layers a network may have.</summary>
    public const int MaxHiddenLayers = 64;

    /// <summary>The widest layer (hidden or output) a network may have.</summary>
    public const int MaxWidth = 1 << 20;

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
        if (!Enum.IsDefined(Parametrization)) throw new ArgumentOutOfRangeException(nameof(Parametrization), Parametrization, "Unknown parametrisation.");
        if (Parametrization == Parametrization.NeuralTangent && WeightInit != WeightInit.Auto)
            throw new ArgumentOutOfRangeException(nameof(WeightInit), WeightInit, "The neural-tangent parametrisation draws its own weights (N(0, 1)); WeightInit must be Auto.");
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Unknown loss.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be in [0, 1).");
        if (!(LeakyReluSlope >= 0 && float.IsFinite(LeakyReluSlope))) throw new ArgumentOutOfRangeException(nameof(LeakyReluSlope), LeakyReluSlope, "LeakyReluSlope must be a finite number ≥ 0.");
        if (!(HuberDelta > 0 && float.IsFinite(HuberDelta))) throw new ArgumentOutOfRangeException(nameof(HuberDelta), HuberDelta, "HuberDelta must be a finite number > 0.");
        if (Loss == LossKind.SoftmaxCrossEntropy && OutputSize < 2)
            throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, "Softmax cross-entropy needs at least 2 outputs.");
        ArgumentNullException.ThrowIfNull(EmbeddedFeatures, nameof(EmbeddedFeatures));
        for (int i = 0; i < EmbeddedFeatures.Length; i++)
            if (EmbeddedFeatures[i] < 0 || EmbeddedFeatures[i] >= InputSize || (i > 0 && EmbeddedFeatures[i] <= EmbeddedFeatures[i - 1]))
                throw new ArgumentOutOfRangeException(nameof(EmbeddedFeatures), EmbeddedFeatures[i], $"EmbeddedFeatures must be ascending distinct feature indices in [0, {InputSize}).");
        if (EmbeddingFrequencies is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(EmbeddingFrequencies), EmbeddingFrequencies, "EmbeddingFrequencies must be in [1, 256].");
        if (EmbeddingOutputs is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(EmbeddingOutputs), EmbeddingOutputs, "EmbeddingOutputs must be in [1, 256].");
        if (ClassWeights is not null)
        {
            if (ClassWeights.Length != OutputSize)
                throw new ArgumentOutOfRangeException(nameof(ClassWeights), ClassWeights.Length, $"ClassWeights has {ClassWeights.Length} values; the network has {OutputSize} outputs.");
            foreach (float w in ClassWeights)
                if (!(w >= 0 && float.IsFinite(w)))
                    throw new ArgumentOutOfRangeException(nameof(ClassWeights), w, "Class weights must be finite numbers ≥ 0.");
        }
        long fanIn = InputSize + (long)EmbeddedFeatures.Length * EmbeddingOutputs;
        for (int i = 0; i <= HiddenLayers.Length; i++)
        {
            long units = i < HiddenLayers.Length ? HiddenLayers[i] : OutputSize;
            if (fanIn * units > MaxParameterValues)
                throw new ArgumentOutOfRangeException(i < HiddenLayers.Length ? nameof(HiddenLayers) : nameof(OutputSize), units,
                    $"A {fanIn} × {units} weight matrix has {fanIn * units:N0} values, more than one array holds ({MaxParameterValues:N0}); use narrower layers.");
            fanIn = units;
        }
        // The size limits of model files and checkpoints (NetworkSpecCodec reads with them): a network that could not be
        // read back is refused before it is trained.
        if (InputSize > MaxInputs) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, $"InputSize must be at most {MaxInputs:N0}.");
        if (OutputSize > MaxWidth) throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, $"OutputSize is {OutputSize:N0}; a network has at most {MaxWidth:N0} outputs (classes).");
        if (HiddenLayers.Length > MaxHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(HiddenLayers), HiddenLayers.Length, $"At most {MaxHiddenLayers} hidden layers.");
        for (int i = 0; i < HiddenLayers.Length; i++)
            if (HiddenLayers[i] > MaxWidth)
                throw new ArgumentOutOfRangeException(nameof(HiddenLayers), HiddenLayers[i], $"HiddenLayers[{i}] must be at most {MaxWidth:N0}.");
    }
}
