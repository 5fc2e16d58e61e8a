namespace MLNetBackprop.Engine;

/// <summary>
/// What a training run carries from one epoch to the next besides the network and the optimizer
/// state: the history, the schedule's live state, and the best-epoch bookkeeping of early stopping.
/// At an epoch boundary these, with the network and optimizer, are the whole run: a checkpoint
/// stores exactly them.
/// </summary>
internal sealed class TrainingRun(LearningRateSchedule.Run schedule)
{
    /// <summary>The reports of the completed epochs.</summary>
    public TrainingHistory History { get; } = new();

    /// <summary>The schedule's live state.</summary>
    public LearningRateSchedule.Run Schedule { get; } = schedule;

    /// <summary>Epochs completed so far; the next epoch's index (from 0).</summary>
    public int EpochsCompleted { get; set; }

    /// <summary>The best validation score so far (higher is better); NaN before the first.</summary>
    public double BestScore { get; set; } = double.NaN;

    /// <summary>The epoch (from 1) of <see cref="BestScore"/>; 0 before the first.</summary>
    public int BestEpoch { get; set; }

    /// <summary>Epochs since the best one (early stopping's patience counter).</summary>
    public int EpochsSinceBest { get; set; }

    /// <summary>A copy of the network's state buffers at the best epoch, or null.</summary>
    public float[][]? BestState { get; set; }

    /// <summary>Training time of the earlier sessions of this run (before a resume).</summary>
    public TimeSpan ElapsedBefore => History.Epochs.Count == 0 ? TimeSpan.Zero : History.Epochs[^1].Elapsed;
}
