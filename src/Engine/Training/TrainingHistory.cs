namespace MLNetBackprop;

/// <summary>The per-epoch record of a training run, and how it ended.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochReport> _epochs = [];

    /// <summary>One report per completed epoch.</summary>
    public IReadOnlyList<EpochReport> Epochs => _epochs;

    /// <summary>The epoch whose weights were kept (the best validation epoch with early stopping, else the last).</summary>
    public int BestEpoch { get; internal set; }

    /// <summary>
    /// Why training stopped, in words — one of: "Early stopping at epoch 23 of 100: the validation loss did not improve
    /// for 5 epochs (Patience); the weights of the best epoch 18 were restored.", "Reached 100 epochs; kept the best
    /// validation epoch 87.", "Reached 100 epochs." or, after a divergence with validation data, "Diverged: …". Empty for
    /// a model saved by a version without history. The same sentence is written to <c>MLContext.Log</c> after each
    /// network trains; print it to make an early stop visible.
    /// </summary>
    public string StopReason { get; internal set; } = "";

    internal void Add(EpochReport report) => _epochs.Add(report);
}
