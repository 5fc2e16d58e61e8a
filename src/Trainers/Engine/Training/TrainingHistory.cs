namespace MLNetBackprop;

/// <summary>The per-epoch record of a training run, and how it ended.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochReport> _epochs = [];

    /// <summary>One report per completed epoch.</summary>
    public IReadOnlyList<EpochReport> Epochs => _epochs;

    /// <summary>The epoch whose weights were kept (the best validation epoch with early stopping, else the last).</summary>
    public int BestEpoch { get; internal set; }

    /// <summary>Why training stopped, in words.</summary>
    public string StopReason { get; internal set; } = "";

    internal void Add(EpochReport report) => _epochs.Add(report);
}
