using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// Options shared by the three MLP trainers. The recipe options start at a <see cref="MlpPreset"/>'s values — the
/// <see cref="MlpPreset.Tabular"/> recipe unless the constructor is given another (<see cref="MlpPresets"/> holds them;
/// each property names both presets' values) — and are documented here and in the README; every value is checked when
/// the estimator is built and again at Fit, with an <see cref="ArgumentOutOfRangeException"/> that names the option.
/// </summary>
/// <remarks>
/// Training data with no rows is an error. A training set with fewer than 10 rows — or, for classification, fewer than
/// 2 rows per class (the label's key values; 2 for binary) — still trains, with a warning in <c>MLContext.Log</c>
/// (kind Warning): so few rows can only be memorised, and scores and metrics from them mean little.
/// </remarks>
public abstract class MlpOptionsBase
{
    /// <summary>Sets the recipe options to <paramref name="preset"/>'s values (the derived options' constructors call this).</summary>
    /// <param name="preset">The starting point.</param>
    private protected MlpOptionsBase(MlpPreset preset)
    {
        Preset = preset;
    }

    /// <summary>The preset these options started from (the values may have been changed since).</summary>
    public MlpPreset Preset { get; }

    /// <summary>Label column (default "Label").</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Feature column: a known-size vector of Single, dense or sparse (default "Features").</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Optional example-weight column of Single (default null = every row weighs 1).</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>Width of each hidden layer, input side first (tabular [64, 64]; classic [128, 64]). Empty = a linear model.</summary>
    public int[] HiddenLayers { get; set; } = [];

    /// <summary>Hidden-layer activation (tabular <see cref="MLNetBackprop.Activation.Selu"/> for classification, <see cref="MLNetBackprop.Activation.Mish"/> for regression; classic <see cref="MLNetBackprop.Activation.Relu"/>).</summary>
    public Activation Activation { get; set; }

    /// <summary>Negative slope for <see cref="MLNetBackprop.Activation.LeakyRelu"/> (default 0.01).</summary>
    public float LeakyReluSlope { get; set; } = 0.01f;

    /// <summary>
    /// The optimizer, as an object (<c>Optimizer.Adam(1e-3)</c>) or a name (<c>"adam"</c>) (tabular Adam with β₂ 0.95 at 0.04
    /// for classification, 0.07 for regression — rates for neural-tangent layers; classic Adam at 1e-3).
    /// </summary>
    public Optimizer Optimizer { get; set; } = Optimizer.Adam();

    /// <summary>Weight initialisation (both presets <see cref="MLNetBackprop.WeightInit.Auto"/>: He for the ReLU family, LeCun for SELU, Xavier for sigmoid/tanh/identity; the neural-tangent parametrisation draws its own).</summary>
    public WeightInit WeightInit { get; set; }

    /// <summary>Dropout rate after each hidden activation, in [0, 1) (both presets 0).</summary>
    public float Dropout { get; set; }

    /// <summary>
    /// L2 penalty λ (loss + λ/2·Σw² over the weights the layers compute with — c·W for a neural-tangent layer — never
    /// biases, scales or embeddings), in [0, ∞) (tabular 0: the ensemble and best-epoch selection
    /// regularise; classic 1e-3, which in 5-fold cross-validation on the shipped datasets never hurt a single network).
    /// </summary>
    public float L2 { get; set; }

    /// <summary>Batch normalisation between each hidden affine layer and its activation (both presets false).</summary>
    public bool BatchNorm { get; set; }

    /// <summary>
    /// Passes over the training data (tabular null = chosen from the data: enough epochs for about
    /// <see cref="AutoEpochSteps"/> mini-batch steps, between <see cref="MinAutoEpochs"/> and <see cref="MaxAutoEpochs"/> —
    /// many passes over a small table, few over a large one; classic 100). Schedules shaped over the run (coslog) span it.
    /// </summary>
    public int? Epochs { get; set; }

    /// <summary>The mini-batch steps the automatic <see cref="Epochs"/> aims at.</summary>
    public const int AutoEpochSteps = 2048;

    /// <summary>The fewest epochs the automatic <see cref="Epochs"/> chooses.</summary>
    public const int MinAutoEpochs = 16;

    /// <summary>The most epochs the automatic <see cref="Epochs"/> chooses.</summary>
    public const int MaxAutoEpochs = 128;

    /// <summary>
    /// The epochs a run over <paramref name="trainingRows"/> rows takes: <see cref="Epochs"/> when set, else
    /// ⌈<see cref="AutoEpochSteps"/> / batches per epoch⌉ clamped to [<see cref="MinAutoEpochs"/>, <see cref="MaxAutoEpochs"/>].
    /// </summary>
    /// <param name="trainingRows">Rows one network trains on.</param>
    public int EpochsFor(long trainingRows)
    {
        if (Epochs is { } epochs) return epochs;
        long batches = Math.Max(1, (trainingRows + BatchSize - 1) / BatchSize);
        return (int)Math.Clamp((AutoEpochSteps + batches - 1) / batches, MinAutoEpochs, MaxAutoEpochs);
    }

    /// <summary>Rows per mini-batch (tabular 256; classic 32).</summary>
    public int BatchSize { get; set; }

    /// <summary>Seed of initial weights, shuffles, dropout and the validation split (default null = the MLContext's seed).</summary>
    public int? Seed { get; set; }

    /// <summary>
    /// How each feature is normalised inside the model, with statistics of the training rows saved with the model
    /// (tabular <see cref="MLNetBackprop.FeatureNormalization.Robust"/>; classic <see cref="MLNetBackprop.FeatureNormalization.Standard"/>),
    /// so raw tabular features train well.
    /// </summary>
    public FeatureNormalization FeatureNormalization { get; set; }

    /// <summary>
    /// Whether the features are normalised (<see cref="FeatureNormalization"/> not None). Setting false selects
    /// <see cref="MLNetBackprop.FeatureNormalization.None"/>; setting true keeps a chosen normalisation or selects Standard.
    /// </summary>
    [Obsolete("Use FeatureNormalization (None, Standard or Robust).")]
    public bool NormalizeFeatures
    {
        get => FeatureNormalization != FeatureNormalization.None;
        set => FeatureNormalization = !value ? FeatureNormalization.None
            : FeatureNormalization == FeatureNormalization.None ? FeatureNormalization.Standard : FeatureNormalization;
    }

    /// <summary>How the affine layers are parametrised and initialised (tabular <see cref="MLNetBackprop.Parametrization.NeuralTangent"/>; classic <see cref="MLNetBackprop.Parametrization.Standard"/>).</summary>
    public Parametrization Parametrization { get; set; }

    /// <summary>
    /// How numeric features are encoded before the first layer (tabular <see cref="MLNetBackprop.NumericEmbedding.Periodic"/>;
    /// classic <see cref="MLNetBackprop.NumericEmbedding.None"/>). Periodic embeddings are used when the data has at most
    /// <see cref="MaxEmbeddedFeatures"/> numeric features (more than two distinct values); with more (text features,
    /// pixels) the network takes the features as they are and the log says so.
    /// </summary>
    public NumericEmbedding NumericEmbedding { get; set; }

    /// <summary>The most numeric features periodic embeddings are given (256).</summary>
    public const int MaxEmbeddedFeatures = 256;

    /// <summary>
    /// A learnable scale per feature in front of the first layer, learning at 6× the rate (RealMLP's front scale; tabular
    /// true, classic false). It folds into the first layer's weights at scoring time.
    /// </summary>
    public bool LearnFeatureScales { get; set; }

    /// <summary>
    /// Leave out training (and validation) rows whose feature vector holds NaN or ±∞, instead of failing
    /// (default false: such a row is an <see cref="InvalidOperationException"/> naming the column, row and slot).
    /// The number of rows left out is written to <c>MLContext.Log</c> as a warning. Labels and weights are
    /// still checked on the rows kept, and data in which every row is left out is still an error. Prefer
    /// replacing missing values (e.g. <c>ReplaceMissingValues</c>) when the rows carry information.
    /// </summary>
    public bool SkipRowsWithNonFiniteFeatures { get; set; }

    /// <summary>
    /// Fraction of the training rows held out for validation, in [0, 1) (tabular 0.2; classic 0 = none): stratified for
    /// classification, taken after a seeded shuffle (an ensemble's members hold out the folds in turn, see
    /// <see cref="EnsembleSize"/>). Validation enables best-epoch selection and early stopping.
    /// </summary>
    public float ValidationFraction { get; set; }

    /// <summary>
    /// Memory budget for the training data, in MiB (default null = read all the data into memory). When the
    /// data would take more — rows × (features + 2) × 4 bytes, the rows from <c>GetRowCount</c> or a counting
    /// pass — training streams it from the IDataView instead: one or two passes fit the standardisation,
    /// then each epoch reads the data through a window of about the budget, shuffled in blocks
    /// (<see cref="ShuffleBlockRows"/>), taking ⌈data size / budget⌉ passes over the view. A
    /// <see cref="ValidationFraction"/> then holds out a seeded hash of the row index (not stratified).
    /// The network, optimizer state and ML.NET's own buffers come on top of the budget.
    /// </summary>
    public int? MemoryBudgetMegabytes { get; set; }

    /// <summary>
    /// Shuffle in blocks of this many rows (default null = a full shuffle in memory, blocks of 64 rows when
    /// streaming): the rows are cut into blocks in storage order, each epoch visits the blocks in a seeded
    /// random order and shuffles the rows within each block. Streamed and in-memory training give the same
    /// model for the same block size.
    /// </summary>
    public int? ShuffleBlockRows { get; set; }

    /// <summary>
    /// Networks trained and averaged, 1..64 (tabular 4; classic 1). With a <see cref="ValidationFraction"/> f, member m holds out fold
    /// m mod F of a round(1/f)-fold split (stratified for classification; a fresh split every F members), so the members
    /// together train on every row and each keeps its best epoch on rows it never saw — bagging that lowers the variance
    /// a single network has on small, noisy data. Without validation, members differ by their seed. Members train in
    /// parallel when there are cores to spare (each with its share of <see cref="NumberOfThreads"/>), one after the
    /// other when streaming. Predictions average the members' probabilities (classification) or values (regression).
    /// </summary>
    public int EnsembleSize { get; set; }

    /// <summary>
    /// Early stopping on the validation data (tabular null = never stop early — the coslog schedule's later cycles often
    /// hold the best epoch, which is kept on the validation loss; classic patience 10 on the validation loss). Used only
    /// when there is validation data.
    /// </summary>
    public EarlyStopping? EarlyStopping { get; set; }

    /// <summary>Learning-rate schedule (tabular <see cref="LearningRateSchedule.CosLog"/>(4); classic constant).</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant();

    /// <summary>Clip gradients to this global norm before each step (default null = no clipping).</summary>
    public double? GradientClipNorm { get; set; }

    /// <summary>Threads for the matrix products (default null = all cores). Results are bit-reproducible for a given seed and thread count.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Receives a report after every epoch (default null = none; the reports are also written to MLContext.Log).</summary>
    public IProgress<EpochReport>? Progress { get; set; }

    /// <summary>Cancels training at the next batch boundary with an <see cref="OperationCanceledException"/> (default: none).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Write a training checkpoint to this file (default null = none); see <see cref="CheckpointEvery"/> and <see cref="ResumeFromCheckpoint"/>.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Epochs between checkpoints (default 1); a checkpoint is also written after the last epoch.</summary>
    public int CheckpointEvery { get; set; } = 1;

    /// <summary>
    /// When <see cref="CheckpointPath"/> exists, continue the run it holds instead of starting afresh
    /// (default false). With the same data, options and seed the result is bit-identical to a run that was
    /// never interrupted.
    /// </summary>
    public bool ResumeFromCheckpoint { get; set; }

    /// <summary>The largest <see cref="EnsembleSize"/>.</summary>
    public const int MaxEnsembleSize = 64;

    /// <summary>Checks every option, naming the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public virtual void Validate()
    {
        static void Name(string? value, string option)
        {
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentOutOfRangeException(option, value, $"{option} must name a column.");
        }
        Name(LabelColumnName, nameof(LabelColumnName));
        Name(FeatureColumnName, nameof(FeatureColumnName));
        if (ExampleWeightColumnName is not null) Name(ExampleWeightColumnName, nameof(ExampleWeightColumnName));
        if (HiddenLayers is null) throw new ArgumentOutOfRangeException(nameof(HiddenLayers), null, "HiddenLayers must not be null (use an empty array for a linear model).");
        if (!Enum.IsDefined(Parametrization)) throw new ArgumentOutOfRangeException(nameof(Parametrization), Parametrization, "Parametrization must be Standard or NeuralTangent.");
        // The network's own fields (HiddenLayers, Activation, LeakyReluSlope, WeightInit, Parametrization, Dropout) have
        // one owner, NetworkSpec.Validate, whose parameter names are these options' names: a spec built from these
        // options with placeholder sizes goes through the check training applies.
        ToSpec(inputSize: 1, new TaskPlan(TaskKind.Multiclass, 2, LossKind.SoftmaxCrossEntropy), embedded: []).Validate();
        if (Optimizer is null) throw new ArgumentOutOfRangeException(nameof(Optimizer), null, "Optimizer must be set (an Optimizer or a name such as \"adam\").");
        if (!Enum.IsDefined(FeatureNormalization)) throw new ArgumentOutOfRangeException(nameof(FeatureNormalization), FeatureNormalization, "FeatureNormalization must be None, Standard or Robust.");
        if (!Enum.IsDefined(NumericEmbedding)) throw new ArgumentOutOfRangeException(nameof(NumericEmbedding), NumericEmbedding, "NumericEmbedding must be None or Periodic.");
        if (!(L2 >= 0 && float.IsFinite(L2))) throw new ArgumentOutOfRangeException(nameof(L2), L2, "L2 must be a finite number ≥ 0.");
        if (Epochs is { } e && e < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), e, "Epochs must be null (automatic) or ≥ 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be ≥ 1.");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1).");
        if (Schedule is null) throw new ArgumentOutOfRangeException(nameof(Schedule), null, "Schedule must be set (LearningRateSchedule.Constant() for none).");
        if (GradientClipNorm is { } c && !(c > 0 && double.IsFinite(c))) throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), c, "GradientClipNorm must be a finite number > 0.");
        if (MemoryBudgetMegabytes is { } mb && mb < 1) throw new ArgumentOutOfRangeException(nameof(MemoryBudgetMegabytes), mb, "MemoryBudgetMegabytes must be null or ≥ 1.");
        if (ShuffleBlockRows is { } sb && sb < 1) throw new ArgumentOutOfRangeException(nameof(ShuffleBlockRows), sb, "ShuffleBlockRows must be null or ≥ 1.");
        if (NumberOfThreads is { } t && t < 1) throw new ArgumentOutOfRangeException(nameof(NumberOfThreads), t, "NumberOfThreads must be ≥ 1.");
        if (EnsembleSize < 1 || EnsembleSize > MaxEnsembleSize) throw new ArgumentOutOfRangeException(nameof(EnsembleSize), EnsembleSize, $"EnsembleSize must be in [1, {MaxEnsembleSize}].");
        if (CheckpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "CheckpointEvery must be ≥ 1.");
        if (CheckpointPath is not null && string.IsNullOrWhiteSpace(CheckpointPath))
            throw new ArgumentOutOfRangeException(nameof(CheckpointPath), CheckpointPath, "CheckpointPath must be null (no checkpoints) or name a file.");
        if (ResumeFromCheckpoint && string.IsNullOrWhiteSpace(CheckpointPath))
            throw new ArgumentOutOfRangeException(nameof(CheckpointPath), CheckpointPath, "ResumeFromCheckpoint needs a CheckpointPath.");
        EarlyStopping?.Validate();
    }

    /// <summary>
    /// The network these options describe, for <paramref name="inputSize"/> features, the trainer's task plan (outputs,
    /// loss and its options) and the embedded features: the one place options become a <see cref="NetworkSpec"/>.
    /// </summary>
    /// <param name="inputSize">Features the network reads.</param>
    /// <param name="plan">What the trainer hands the core: outputs, loss, label smoothing, Huber δ.</param>
    /// <param name="embedded">The features given a periodic embedding (ascending indices).</param>
    internal NetworkSpec ToSpec(int inputSize, TaskPlan plan, int[] embedded) => new()
    {
        InputSize = inputSize,
        HiddenLayers = [.. HiddenLayers],
        Activation = Activation,
        LeakyReluSlope = LeakyReluSlope,
        BatchNorm = BatchNorm,
        Dropout = Dropout,
        OutputSize = plan.OutputSize,
        Loss = plan.Loss,
        WeightInit = WeightInit,
        Parametrization = Parametrization,
        InputScaling = LearnFeatureScales,
        EmbeddedFeatures = embedded,
        LabelSmoothing = plan.LabelSmoothing,
        HuberDelta = plan.HuberDelta,
    };

    /// <summary>
    /// Checks that <see cref="EarlyStopping"/>'s monitor is one of <paramref name="valid"/> (the monitors that make
    /// sense for the trainer's task), naming the option and the valid monitors.
    /// </summary>
    /// <param name="task">The task, in words, for the message.</param>
    /// <param name="valid">The monitors the task supports.</param>
    private protected void CheckMonitor(string task, params ValidationMonitor[] valid)
    {
        if (EarlyStopping is { Monitor: var monitor } && Array.IndexOf(valid, monitor) < 0)
            throw new ArgumentOutOfRangeException(nameof(EarlyStopping), monitor,
                $"EarlyStopping.Monitor {monitor} does not apply to {task}; valid monitors: {string.Join(", ", valid)}.");
    }
}
