namespace MLNetBackprop.Engine;

/// <summary>How the engine trains a <see cref="Network"/>: epochs, batches, optimizer, regularisation, seed and reporting.</summary>
public sealed record TrainingSettings
{
    /// <summary>Maximum number of passes over the training data (default 50).</summary>
    public int Epochs { get; init; } = 50;

    /// <summary>Rows per mini-batch (default 32); the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The update rule (default Adam with PyTorch's defaults).</summary>
    public Optimizer Optimizer { get; init; } = Optimizer.Adam();

    /// <summary>L2 penalty λ: loss + λ/2·Σw² over weights (not biases or BatchNorm γ/β), part of the reported loss (default 0).</summary>
    public float L2 { get; init; }

    /// <summary>Seed of the shuffles and dropout masks (the initial weights take the network's own seed).</summary>
    public long Seed { get; init; }

    /// <summary>Shuffle the rows at every epoch (default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// Shuffle in blocks of this many rows instead of over all rows (default null = a full shuffle for
    /// in-memory data; streamed data, <see cref="StreamedRows"/>, then uses its own block size). See
    /// <see cref="RowOrder"/>: the blocks are visited in a seeded random order and the rows of each block
    /// shuffled. In-memory and streamed data train bit-identically under the same block size.
    /// </summary>
    public int? ShuffleBlockRows { get; init; }

    /// <summary>Learning-rate schedule (default constant).</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant();

    /// <summary>Clip the gradient to this global L2 norm before each step (null = no clipping).</summary>
    public double? GradientClipNorm { get; init; }

    /// <summary>Early stopping on the validation data (null = train all epochs). The best epoch's weights are always kept when there is validation data.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Receives a report after every epoch.</summary>
    public IProgress<EpochReport>? Progress { get; init; }

    /// <summary>Checked at every batch boundary; cancelling throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// Called at every batch boundary, next to the <see cref="CancellationToken"/> check; it stops
    /// training by throwing (ML.NET passes <c>IHost.CheckAlive</c>, which throws
    /// <see cref="OperationCanceledException"/> once the environment's execution is cancelled).
    /// </summary>
    public Action? CheckAlive { get; init; }

    /// <summary>
    /// Where to write a checkpoint of the run (null = none): after every <see cref="CheckpointEvery"/>
    /// epochs, after the last epoch and when early stopping ends the run. Each write replaces the previous
    /// checkpoint atomically, so an interrupted run leaves the last complete one. Resume with
    /// <see cref="NetworkTrainer.Resume(Network, TrainingSettings, string)"/>.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Epochs between checkpoints when <see cref="CheckpointPath"/> is set (default 1).</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Checks every value, naming the first one out of range.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be ≥ 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be ≥ 1.");
        ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
        ArgumentNullException.ThrowIfNull(Schedule, nameof(Schedule));
        if (!(L2 >= 0 && float.IsFinite(L2))) throw new ArgumentOutOfRangeException(nameof(L2), L2, "L2 must be a finite number ≥ 0.");
        if (GradientClipNorm is { } c && !(c > 0 && double.IsFinite(c)))
            throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), c, "GradientClipNorm must be a finite number > 0.");
        if (ShuffleBlockRows is { } sb && sb < 1) throw new ArgumentOutOfRangeException(nameof(ShuffleBlockRows), sb, "ShuffleBlockRows must be null or ≥ 1.");
        if (CheckpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "CheckpointEvery must be ≥ 1.");
        if (CheckpointPath is not null && string.IsNullOrWhiteSpace(CheckpointPath))
            throw new ArgumentException("CheckpointPath must be null or a file path.", nameof(CheckpointPath));
        EarlyStopping?.Validate();
    }
}
