using System.Globalization;
using System.Text;

namespace MLNetBackprop;

/// <summary>The hyper-parameter values of one trial.</summary>
public sealed record TrialConfiguration
{
    /// <summary>The optimizer's base learning rate.</summary>
    public required double LearningRate { get; init; }

    /// <summary>The L2 penalty λ.</summary>
    public required float L2 { get; init; }

    /// <summary>Hidden-layer widths, input side first.</summary>
    public required int[] HiddenLayers { get; init; }

    /// <summary>Hidden activation.</summary>
    public required Activation Activation { get; init; }

    /// <summary>Optimizer name (see <see cref="MLNetBackprop.Optimizer.Names"/>).</summary>
    public required string Optimizer { get; init; }

    /// <summary>Dropout rate.</summary>
    public required float Dropout { get; init; }

    /// <summary>Batch normalisation on or off.</summary>
    public required bool BatchNorm { get; init; }

    /// <summary>Rows per mini-batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>A one-line summary, e.g. <c>[128,64] relu adam lr=0.001 L2=0 drop=0 bs=32</c> (<c>bn</c> when batch norm is on).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{MlpSearchSpace.Shape(HiddenLayers),-9} {Activation.ToString().ToLowerInvariant(),-9} {Optimizer,-8} lr={LearningRate:0.###e0} L2={(L2 == 0 ? "0" : L2.ToString("0.#e0", CultureInfo.InvariantCulture)),-6} drop={Dropout:0.##} bs={BatchSize}{(BatchNorm ? " bn" : "")}");

    internal static TrialConfiguration From(MlpOptionsBase o) => new()
    {
        LearningRate = o.Optimizer.LearningRate,
        L2 = o.L2,
        HiddenLayers = [.. o.HiddenLayers],
        Activation = o.Activation,
        Optimizer = o.Optimizer.Name,
        Dropout = o.Dropout,
        BatchNorm = o.BatchNorm,
        BatchSize = o.BatchSize,
    };

    /// <summary>Writes these values into <paramref name="options"/>; the optimizer keeps <paramref name="baseOptimizer"/>'s other settings when it is the same rule.</summary>
    internal void ApplyTo(MlpOptionsBase options, Optimizer baseOptimizer)
    {
        var rule = string.Equals(Optimizer, baseOptimizer.Name, StringComparison.OrdinalIgnoreCase) ? baseOptimizer : MLNetBackprop.Optimizer.FromName(Optimizer);
        options.Optimizer = rule.LearningRate == LearningRate ? rule : rule.WithLearningRate(LearningRate);
        options.L2 = L2;
        options.HiddenLayers = [.. HiddenLayers];
        options.Activation = Activation;
        options.Dropout = Dropout;
        options.BatchNorm = BatchNorm;
        options.BatchSize = BatchSize;
    }
}

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

/// <summary>What <see cref="SearchSettings.Progress"/> receives after each trial run.</summary>
public sealed record TrialReport
{
    /// <summary>The trial (leaderboard row) so far.</summary>
    public required TrialResult Trial { get; init; }

    /// <summary>Round number, from 1.</summary>
    public required int Round { get; init; }

    /// <summary>Total rounds of the search.</summary>
    public required int Rounds { get; init; }

    /// <summary>Position of this run within the round, from 1.</summary>
    public required int IndexInRound { get; init; }

    /// <summary>Trials in this round.</summary>
    public required int TrialsInRound { get; init; }

    /// <summary>Epoch budget of this round.</summary>
    public required int Epochs { get; init; }

    /// <summary>This run's validation metric (NaN if it diverged).</summary>
    public required double Metric { get; init; }

    /// <summary>The best metric of this round so far.</summary>
    public required double BestInRound { get; init; }

    /// <summary>Time since the search started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round}/{Rounds} ({Epochs} epochs) trial {IndexInRound,2}/{TrialsInRound} #{Trial.Id,-3} {Trial.Summary} → {(double.IsNaN(Metric) ? "diverged" : Metric.ToString("F4", CultureInfo.InvariantCulture))}  (best {BestInRound:F4}, {Elapsed.TotalSeconds:F1}s)");
}

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
