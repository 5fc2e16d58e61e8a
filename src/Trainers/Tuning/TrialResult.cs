using System.Globalization;

namespace MLNetBackprop;

/// <summary>One row of the leaderboard: a configuration and how it did in each round it took part in.</summary>
public sealed class TrialResult
{
    internal TrialResult(int id, TrialConfiguration configuration)
    {
        Id = id;
        Configuration = configuration;
    }

    /// <summary>Trial number, from 1; trial 1 is always the base options (the defaults).</summary>
    public int Id { get; }

    /// <summary>True for trial 1, the base options unchanged.</summary>
    public bool IsDefaults => Id == 1;

    /// <summary>The hyper-parameter values.</summary>
    public TrialConfiguration Configuration { get; }

    /// <summary>The one-line summary of <see cref="Configuration"/>.</summary>
    public string Summary => Configuration.ToString();

    /// <summary>The validation metric after each round the trial took part in (NaN where training diverged).</summary>
    public IReadOnlyList<double> RoundMetrics => _metrics;

    /// <summary>The epoch budget of each round the trial took part in.</summary>
    public IReadOnlyList<int> RoundEpochs => _epochs;

    /// <summary>Epochs actually trained over all rounds (each round retrains from scratch; early stopping may cut a round short).</summary>
    public int EpochsUsed { get; internal set; }

    /// <summary>The round (from 1) after which successive halving dropped the trial; null when it reached the last round.</summary>
    public int? PrunedAtRound { get; internal set; }

    /// <summary>The metric of the last round the trial took part in (NaN if that run diverged).</summary>
    public double Metric => _metrics.Count == 0 ? double.NaN : _metrics[^1];

    /// <summary>True when the last run's loss became NaN or infinite before any usable epoch.</summary>
    public bool Diverged => double.IsNaN(Metric);

    /// <summary>The epoch whose weights the last run kept (best validation epoch).</summary>
    public int BestEpoch { get; internal set; }

    /// <summary>Wall-clock time spent training and evaluating this trial, all rounds.</summary>
    public TimeSpan Elapsed { get; internal set; }

    private readonly List<double> _metrics = [];
    private readonly List<int> _epochs = [];

    internal void AddRound(int epochs, double metric)
    {
        _epochs.Add(epochs);
        _metrics.Add(metric);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"#{Id}{(IsDefaults ? " (defaults)" : "")}: {Summary} → {Metric:G5} after {RoundEpochs.LastOrDefault()} epochs");
}
