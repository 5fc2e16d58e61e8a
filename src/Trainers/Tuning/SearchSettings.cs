namespace MLNetBackprop;

/// <summary>
/// How a hyper-parameter search runs: how many configurations, the seed, the epoch budget of successive
/// halving, the metric, progress reporting and cancellation.
/// </summary>
public sealed class SearchSettings
{
    /// <summary>Configurations tried in the first round, including trial 1 = the base options themselves (default 27).</summary>
    public int Trials { get; set; } = 27;

    /// <summary>
    /// Seed of the sampled configurations, of the validation split (when none is given) and of every trial's
    /// training when the base options have no <see cref="MlpOptionsBase.Seed"/> (default 1). Same seed (and thread count), same leaderboard.
    /// </summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// Successive halving (default true): round 1 trains every trial for a few epochs, keeps the best
    /// 1/<see cref="Eta"/>, and gives them <see cref="Eta"/>× the epochs, until <see cref="MaxEpochs"/>.
    /// False: every trial trains once for <see cref="MaxEpochs"/>.
    /// </summary>
    public bool SuccessiveHalving { get; set; } = true;

    /// <summary>Reduction factor of successive halving, ≥ 2 (default 3).</summary>
    public int Eta { get; set; } = 3;

    /// <summary>
    /// Smallest epoch budget, that of the first round (default null = a ninth of <see cref="MaxEpochs"/>, at least 3).
    /// Rounds get MaxEpochs/Eta^k epochs, never fewer than this.
    /// </summary>
    public int? MinEpochs { get; set; }

    /// <summary>
    /// Epochs of the last round, and of <see cref="SearchResult{TOptions}.BestOptions"/> (default null = the base options'
    /// epochs for the training rows: their <see cref="MlpOptionsBase.Epochs"/>, or the automatic number).
    /// </summary>
    public int? MaxEpochs { get; set; }

    /// <summary>
    /// Networks per trial (default 1): trials rank configurations, for which one network is the cheap proxy;
    /// <see cref="SearchResult{TOptions}.BestOptions"/> keeps the base options' <see cref="MlpOptionsBase.EnsembleSize"/>.
    /// </summary>
    public int TrialEnsembleSize { get; set; } = 1;

    /// <summary>What trials are ranked by (default <see cref="SearchMetric.ValidationLoss"/>).</summary>
    public SearchMetric Metric { get; set; } = SearchMetric.ValidationLoss;

    /// <summary>
    /// Fraction of the training data held out for validation when no validation data is given, in (0, 1)
    /// (default 0.2; the base options' <see cref="MlpOptionsBase.ValidationFraction"/> wins when it is set): stratified for classification, seeded.
    /// </summary>
    public float ValidationFraction { get; set; } = 0.2f;

    /// <summary>Receives a report after every trial run (every trial in every round), on the search's thread (default null = none).</summary>
    public IProgress<TrialReport>? Progress { get; set; }

    /// <summary>Cancels the search (inside a trial, at the next batch) with an <see cref="OperationCanceledException"/> (default: none).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Checks every setting, naming the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Trials < 1) throw new ArgumentOutOfRangeException(nameof(Trials), Trials, "Trials must be ≥ 1.");
        if (Eta < 2) throw new ArgumentOutOfRangeException(nameof(Eta), Eta, "Eta must be ≥ 2.");
        if (MinEpochs is < 1) throw new ArgumentOutOfRangeException(nameof(MinEpochs), MinEpochs, "MinEpochs must be null or ≥ 1.");
        if (MaxEpochs is < 1) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, "MaxEpochs must be null or ≥ 1.");
        if (MinEpochs is { } min && MaxEpochs is { } max && max < min) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, "MaxEpochs must be ≥ MinEpochs.");
        if (TrialEnsembleSize < 1 || TrialEnsembleSize > MlpOptionsBase.MaxEnsembleSize)
            throw new ArgumentOutOfRangeException(nameof(TrialEnsembleSize), TrialEnsembleSize, $"TrialEnsembleSize must be in [1, {MlpOptionsBase.MaxEnsembleSize}].");
        if (!Enum.IsDefined(Metric)) throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown search metric.");
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in (0, 1).");
    }

    /// <summary>
    /// The epochs of each round: MaxEpochs/Eta^k rounded, for k = R … 0, with R the most rounds that keep round 1 ≥ MinEpochs;
    /// <paramref name="baseEpochs"/> stands in for an unset <see cref="MaxEpochs"/>.
    /// </summary>
    internal int[] RoundEpochs(int baseEpochs)
    {
        int max = MaxEpochs ?? baseEpochs;
        int min = Math.Min(max, MinEpochs ?? Math.Max(3, max / 9));
        if (!SuccessiveHalving) return [max];
        int rounds = 0;
        for (double e = min * (double)Eta; e <= max; e *= Eta) rounds++;
        var epochs = new int[rounds + 1];
        for (int r = 0; r <= rounds; r++)
            epochs[r] = Math.Max(min, (int)Math.Round(max / Math.Pow(Eta, rounds - r)));
        return epochs;
    }
}
