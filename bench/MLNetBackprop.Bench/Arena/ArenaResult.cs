namespace MLNetBackprop.Bench.Arena;

/// <summary>One fit of one trainer on one split: the test metric (NaN when the fit or the evaluation failed) and the fit's wall time.</summary>
public sealed record FitResult(double Metric, double Seconds, string? Error = null, bool Cached = false)
{
    public bool Failed => double.IsNaN(Metric);
}

/// <summary>A trainer's results on one set, one per seed, and their summaries (NaN mean when any seed failed).</summary>
public sealed class TrainerOnSet(ArenaTrainer trainer, string displayName)
{
    public ArenaTrainer Trainer { get; } = trainer;
    public string DisplayName { get; } = displayName;
    public List<FitResult> Seeds { get; } = [];

    public double Mean => Seeds.Count == 0 || Seeds.Any(s => s.Failed) ? double.NaN : Seeds.Average(s => s.Metric);
    public double Min => Seeds.Count == 0 ? double.NaN : Seeds.Min(s => s.Metric);
    public double Max => Seeds.Count == 0 ? double.NaN : Seeds.Max(s => s.Metric);
    public double MeanSeconds => Seeds.Count == 0 ? double.NaN : Seeds.Average(s => s.Seconds);
    public double TotalSeconds => Seeds.Sum(s => s.Seconds);
    public bool AnyCached => Seeds.Any(s => s.Cached);
}

/// <summary>All trainers on one set; the best peer is chosen with hindsight from the per-set means.</summary>
public sealed class SetResult(TabularSet set)
{
    public string Name { get; } = set.Name;
    public ArenaTask Task { get; } = set.Schema.Task;
    public int Rows { get; } = set.Rows;
    public int FeatureColumns { get; } = set.Schema.Columns.Count - 1;
    public int Classes { get; } = set.ClassCount;
    /// <summary>Features after featurisation, per seed (the one-hot width depends on the levels seen in each training part).</summary>
    public List<int> FeatureCounts { get; } = [];
    public string Features => FeatureCounts.Count == 0 ? "?" : FeatureCounts.Min() == FeatureCounts.Max() ? $"{FeatureCounts[0]}" : $"{FeatureCounts.Min()}–{FeatureCounts.Max()}";
    public int TrainRows { get; set; }
    public int TestRows { get; set; }
    public double FeaturizeSeconds { get; set; }
    public List<string> Notes { get; } = [];
    public List<TrainerOnSet> Peers { get; } = [];
    public List<TrainerOnSet> Mlps { get; } = [];

    public TrainerOnSet? BestPeer => Peers.Where(p => !double.IsNaN(p.Mean)).MaxBy(p => p.Mean);
    public TrainerOnSet? LightGbm => Peers.FirstOrDefault(p => p.Trainer.Id == "lightgbm");

    /// <summary>Mlp − best peer, in points (metric × 100).</summary>
    public double GapToBest(TrainerOnSet mlp) => BestPeer is { } b ? 100 * (mlp.Mean - b.Mean) : double.NaN;

    /// <summary>Mlp − LightGbm, in points.</summary>
    public double GapToLightGbm(TrainerOnSet mlp) => LightGbm is { } l ? 100 * (mlp.Mean - l.Mean) : double.NaN;

    /// <summary>Mean fit time of the Mlp / that of LightGbm.</summary>
    public double TimeRatio(TrainerOnSet mlp) => LightGbm is { } l ? mlp.MeanSeconds / l.MeanSeconds : double.NaN;
}
