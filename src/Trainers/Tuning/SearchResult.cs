using System.Globalization;
using System.Text;

namespace MLNetBackprop;

/// <summary>The outcome of <see cref="MlpSearch.Run{TOptions}"/>: the leaderboard, the winner's options, and how it compares with the defaults.</summary>
/// <typeparam name="TOptions">The trainer's options type.</typeparam>
public sealed class SearchResult<TOptions> where TOptions : MlpOptionsBase
{
    private readonly TOptions _baseOptions;
    private readonly int _seed;

    internal SearchResult(TOptions baseOptions, int seed, SearchMetric metric, IReadOnlyList<TrialResult> leaderboard,
        IReadOnlyList<int> roundEpochs, IReadOnlyList<int> roundTrials, long trainRows, long validationRows, bool validationSplit, TimeSpan elapsed)
    {
        _baseOptions = baseOptions;
        _seed = seed;
        Metric = metric;
        Leaderboard = leaderboard;
        RoundEpochs = roundEpochs;
        RoundTrials = roundTrials;
        TrainRows = trainRows;
        ValidationRows = validationRows;
        ValidationWasSplit = validationSplit;
        Elapsed = elapsed;
        BestOptions = OptionsFor(Best);
    }

    /// <summary>Every trial, best first: those that reached the last round ranked by their final metric, then the pruned ones by the round they reached and their metric there.</summary>
    public IReadOnlyList<TrialResult> Leaderboard { get; }

    /// <summary>The winner (the first row of <see cref="Leaderboard"/>).</summary>
    public TrialResult Best => Leaderboard[0];

    /// <summary>Trial 1: the base options, always carried to the last round so it is compared at the same budget.</summary>
    public TrialResult Defaults => Leaderboard.First(t => t.IsDefaults);

    /// <summary>
    /// A fresh copy of the base options with the winner's values, the seed the search used, and
    /// <see cref="MlpOptionsBase.Epochs"/> = the last round's budget. Train the final model with it (e.g. on train + validation).
    /// </summary>
    public TOptions BestOptions { get; }

    /// <summary>The metric trials were ranked by.</summary>
    public SearchMetric Metric { get; }

    /// <summary>True for accuracy, AUC and R²; false for the loss.</summary>
    public bool HigherIsBetter => Metric != SearchMetric.ValidationLoss;

    /// <summary>The winner's validation metric.</summary>
    public double BestMetric => Best.Metric;

    /// <summary>The defaults' validation metric at the same (last-round) budget.</summary>
    public double DefaultsMetric => Defaults.Metric;

    /// <summary>How much the winner beats the defaults, ≥ 0 (loss: defaults − best; otherwise best − defaults).</summary>
    public double Improvement => double.IsNaN(DefaultsMetric) ? double.PositiveInfinity : HigherIsBetter ? BestMetric - DefaultsMetric : DefaultsMetric - BestMetric;

    /// <summary>The epoch budget of each round.</summary>
    public IReadOnlyList<int> RoundEpochs { get; }

    /// <summary>How many trials ran in each round (later rounds: the best 1/eta, plus the defaults).</summary>
    public IReadOnlyList<int> RoundTrials { get; }

    /// <summary>Epochs trained over the whole search.</summary>
    public int TotalEpochs => Leaderboard.Sum(t => t.EpochsUsed);

    /// <summary>Rows the trials trained on.</summary>
    public long TrainRows { get; }

    /// <summary>Rows the trials were measured on.</summary>
    public long ValidationRows { get; }

    /// <summary>True when no validation data was given and the search held out part of the training data.</summary>
    public bool ValidationWasSplit { get; }

    /// <summary>Wall-clock time of the search.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>A fresh copy of the base options with <paramref name="trial"/>'s values (seed and epochs as in <see cref="BestOptions"/>).</summary>
    /// <param name="trial">A row of <see cref="Leaderboard"/>.</param>
    public TOptions OptionsFor(TrialResult trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var o = MlpOptionsCloner.Clone(_baseOptions);
        trial.Configuration.ApplyTo(o, _baseOptions.Optimizer);
        o.Seed = _baseOptions.Seed ?? _seed;
        o.Epochs = RoundEpochs[^1];
        return o;
    }

    /// <summary>A narrower search space around the best <paramref name="top"/> trials, for a second search ("narrow and repeat").</summary>
    /// <param name="space">The space this search used (its unsearched dimensions stay unsearched); null = the default space.</param>
    /// <param name="top">How many leaderboard rows to narrow around (default 3).</param>
    public MlpSearchSpace NarrowedSpace(MlpSearchSpace? space = null, int top = 3) =>
        (space ?? new MlpSearchSpace()).NarrowAround(Leaderboard.Where(t => !t.Diverged).Take(Math.Max(1, top)).Select(t => t.Configuration));

    /// <summary>The leaderboard as a text table.</summary>
    /// <param name="top">Rows to show (default all).</param>
    public string FormatLeaderboard(int? top = null)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        string rounds = string.Join(" ", RoundEpochs.Select(e => $"{"@" + e.ToString(ci),8}"));
        sb.AppendLine(ci, $"rank trial  {"configuration",-68} {rounds}  epochs  pruned");
        int rank = 0;
        foreach (var t in Leaderboard.Take(top ?? int.MaxValue))
        {
            rank++;
            var cells = new string[RoundEpochs.Count];
            for (int r = 0; r < cells.Length; r++)
                cells[r] = r < t.RoundMetrics.Count ? (double.IsNaN(t.RoundMetrics[r]) ? "diverged" : t.RoundMetrics[r].ToString("F4", ci)).PadLeft(8) : "       -";
            sb.AppendLine(ci, $"{rank,4} {t.Id,5}{(t.IsDefaults ? "*" : " ")} {t.Summary,-68} {string.Join(" ", cells)}  {t.EpochsUsed,6}  {(t.PrunedAtRound is { } p ? "round " + p.ToString(ci) : "-")}");
        }
        sb.Append("* = the base options (defaults)");
        return sb.ToString();
    }
}
