using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// Hyper-parameter search for the MLP trainers, following the usual recipe: tune on validation data
/// (never on test data), random search with learning rate and L2 on a log scale, few epochs per trial,
/// bad trials abandoned early (successive halving), then train the final model with the chosen values.
/// </summary>
/// <example>
/// <code>
/// var result = MlpSearch.Run(ml, train, validation, new MlpMulticlassTrainer.Options(),
///     settings: new SearchSettings { Trials = 27, Progress = new Progress&lt;TrialReport&gt;(Console.WriteLine) });
/// Console.WriteLine(result.FormatLeaderboard(10));
/// var model = ml.MulticlassClassification.Trainers.Mlp(result.BestOptions).Fit(trainPlusValidation);
/// </code>
/// </example>
public static class MlpSearch
{
    /// <summary>
    /// Searches hyper-parameters for the trainer whose options type is <typeparamref name="TOptions"/>
    /// (<see cref="MlpMulticlassTrainer.Options"/>, <see cref="MlpBinaryTrainer.Options"/> or
    /// <see cref="MlpRegressionTrainer.Options"/>). Trial 1 is always <paramref name="baseOptions"/> unchanged,
    /// and it is carried to the last round, so the winner is never worse than the defaults on validation.
    /// The search reads only <paramref name="train"/> and <paramref name="validation"/>; it never modifies <paramref name="baseOptions"/>.
    /// </summary>
    /// <typeparam name="TOptions">The trainer's options type; it selects the task.</typeparam>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="train">Training data, shaped as the trainer expects it (feature vector; key, Boolean or Single label).</param>
    /// <param name="validation">
    /// Validation data with the same columns; null = hold out <see cref="SearchSettings.ValidationFraction"/> of
    /// <paramref name="train"/> (stratified for classification, seeded). Never pass test data.
    /// </param>
    /// <param name="baseOptions">The starting point (trial 1), and everything the search does not vary (columns, schedule, early stopping…). Null = the defaults.</param>
    /// <param name="space">What to search; null = <see cref="MlpSearchSpace"/>'s defaults.</param>
    /// <param name="settings">Trials, seed, successive halving, metric, progress, cancellation; null = <see cref="SearchSettings"/>'s defaults.</param>
    /// <returns>The leaderboard, the best options and the comparison with the defaults.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option, a setting or the search space is invalid, or the metric does not fit the task.</exception>
    /// <exception cref="OperationCanceledException">The settings' cancellation token was cancelled.</exception>
    public static SearchResult<TOptions> Run<TOptions>(MLContext ml, IDataView train, IDataView? validation = null,
        TOptions? baseOptions = null, MlpSearchSpace? space = null, SearchSettings? settings = null)
        where TOptions : MlpOptionsBase, new()
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(train);
        baseOptions = baseOptions is null ? new TOptions() : MlpOptionsCloner.Clone(baseOptions);
        space ??= new MlpSearchSpace();
        settings ??= new SearchSettings();
        baseOptions.Validate();
        space.Validate();
        settings.Validate();
        var task = TaskOf(baseOptions);
        CheckMetric(settings.Metric, task);
        var columns = TrainingDataReader.CheckSchema(train.Schema, task, baseOptions.FeatureColumnName, baseOptions.LabelColumnName, baseOptions.ExampleWeightColumnName);
        var clock = Stopwatch.StartNew();
        var ct = settings.CancellationToken;

        bool split = validation is null;
        if (validation is null)
        {
            float fraction = baseOptions.ValidationFraction > 0 ? baseOptions.ValidationFraction : settings.ValidationFraction;
            (train, validation) = SplitValidation(train, columns, task, fraction, settings.Seed, ct);
        }
        long seed = baseOptions.Seed ?? settings.Seed;

        // Trial 1 = the base options; the others are drawn from the space, each from its own random stream.
        var baseline = TrialConfiguration.From(baseOptions);
        var trials = new List<TrialResult> { new(1, baseline) };
        for (int i = 2; i <= settings.Trials; i++) trials.Add(new TrialResult(i, space.Sample(seed, i, baseline)));

        long trainRows = CountRows(train), validationRows = CountRows(validation);
        int[] roundEpochs = settings.RoundEpochs(baseOptions.EpochsFor(trainRows));
        var roundTrials = new List<int>();
        var alive = trials;
        for (int round = 0; round < roundEpochs.Length; round++)
        {
            roundTrials.Add(alive.Count);
            double bestInRound = double.NaN;
            for (int k = 0; k < alive.Count; k++)
            {
                ct.ThrowIfCancellationRequested();
                var trial = alive[k];
                var started = clock.Elapsed;
                var options = MlpOptionsCloner.Clone(baseOptions);
                trial.Configuration.ApplyTo(options, baseOptions.Optimizer);
                options.Epochs = roundEpochs[round];
                options.Seed = (int)seed;
                options.ValidationFraction = 0;
                options.EnsembleSize = settings.TrialEnsembleSize;
                options.Progress = null;
                options.CancellationToken = ct;

                double metric;
                int trained, bestEpoch;
                try
                {
                    var model = Fit(ml, options, train, validation);
                    var history = model.History;
                    trained = history.Epochs.Count;
                    bestEpoch = history.BestEpoch;
                    metric = Measure(ml, settings.Metric, task, options, model, validation);
                }
                catch (TrainingDivergedException e)
                {
                    trained = e.Epoch;
                    bestEpoch = 0;
                    metric = double.NaN;
                }
                if (!double.IsFinite(metric)) metric = double.NaN;
                trial.AddRound(roundEpochs[round], metric);
                trial.EpochsUsed += trained;
                trial.BestEpoch = bestEpoch;
                trial.Elapsed += clock.Elapsed - started;
                if (!double.IsNaN(metric) && (double.IsNaN(bestInRound) || Better(metric, bestInRound, settings.Metric))) bestInRound = metric;
                settings.Progress?.Report(new TrialReport
                {
                    Trial = trial,
                    Round = round + 1,
                    Rounds = roundEpochs.Length,
                    IndexInRound = k + 1,
                    TrialsInRound = alive.Count,
                    Epochs = roundEpochs[round],
                    Metric = metric,
                    BestInRound = bestInRound,
                    Elapsed = clock.Elapsed,
                });
            }
            if (round == roundEpochs.Length - 1) break;

            // Keep the best 1/eta (at least one) for the next round, and always the defaults.
            var ranked = Rank(alive, settings.Metric);
            int keep = Math.Max(1, alive.Count / settings.Eta);
            var next = ranked.Take(keep).ToList();
            if (!next.Any(t => t.IsDefaults)) next.Add(trials[0]);
            foreach (var t in ranked.Skip(keep))
                if (!t.IsDefaults) t.PrunedAtRound = round + 1;
            alive = [.. next.OrderBy(t => t.Id)];
        }

        var leaderboard = trials
            .OrderByDescending(t => t.RoundMetrics.Count)
            .ThenBy(t => t, Comparer<TrialResult>.Create((a, b) => Compare(a, b, settings.Metric)))
            .ToList();
        return new SearchResult<TOptions>(baseOptions, (int)seed, settings.Metric, leaderboard, roundEpochs, roundTrials,
            trainRows, validationRows, split, clock.Elapsed);
    }

    /// <summary>The view's row count, counted with a cursor over no columns when the view does not know it.</summary>
    private static long CountRows(IDataView data)
    {
        if (data.GetRowCount() is { } known) return known;
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }

    private static TaskKind TaskOf(MlpOptionsBase options) => options switch
    {
        MlpMulticlassTrainer.Options => TaskKind.Multiclass,
        MlpBinaryTrainer.Options => TaskKind.Binary,
        MlpRegressionTrainer.Options => TaskKind.Regression,
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.GetType().Name, "The search supports MlpMulticlassTrainer.Options, MlpBinaryTrainer.Options and MlpRegressionTrainer.Options."),
    };

    private static void CheckMetric(SearchMetric metric, TaskKind task)
    {
        bool ok = metric switch
        {
            SearchMetric.ValidationLoss => true,
            SearchMetric.Accuracy => task != TaskKind.Regression,
            SearchMetric.Auc => task == TaskKind.Binary,
            SearchMetric.RSquared => task == TaskKind.Regression,
            _ => false,
        };
        if (!ok) throw new ArgumentOutOfRangeException(nameof(SearchSettings.Metric), metric, $"The {metric} metric does not apply to {task.ToString().ToLowerInvariant()} tasks.");
    }

    private static MlpPredictionTransformerBase Fit(MLContext ml, MlpOptionsBase options, IDataView train, IDataView validation) => options switch
    {
        MlpMulticlassTrainer.Options m => ml.MulticlassClassification.Trainers.Mlp(m).Fit(train, validation),
        MlpBinaryTrainer.Options b => ml.BinaryClassification.Trainers.Mlp(b).Fit(train, validation),
        MlpRegressionTrainer.Options r => ml.Regression.Trainers.Mlp(r).Fit(train, validation),
        _ => throw new UnreachableException(),
    };

    private static double Measure(MLContext ml, SearchMetric metric, TaskKind task, MlpOptionsBase options, MlpPredictionTransformerBase model, IDataView validation)
    {
        if (metric == SearchMetric.ValidationLoss)
        {
            var history = model.History;
            return history.Epochs[history.BestEpoch - 1].ValidationLoss ?? double.NaN;
        }
        var scored = model.Transform(validation);
        string label = options.LabelColumnName;
        return (metric, task) switch
        {
            (SearchMetric.Accuracy, TaskKind.Multiclass) => ml.MulticlassClassification.Evaluate(scored, label).MicroAccuracy,
            (SearchMetric.Accuracy, TaskKind.Binary) => ml.BinaryClassification.Evaluate(scored, label).Accuracy,
            (SearchMetric.Auc, TaskKind.Binary) => ml.BinaryClassification.Evaluate(scored, label).AreaUnderRocCurve,
            (SearchMetric.RSquared, TaskKind.Regression) => ml.Regression.Evaluate(scored, label).RSquared,
            _ => throw new UnreachableException(),
        };
    }

    private static bool Better(double a, double b, SearchMetric metric) => metric == SearchMetric.ValidationLoss ? a < b : a > b;

    /// <summary>Last-round metric, better first; diverged (NaN) last; ties by trial id (so the defaults win ties).</summary>
    private static int Compare(TrialResult a, TrialResult b, SearchMetric metric)
    {
        double x = a.Metric, y = b.Metric;
        if (double.IsNaN(x) != double.IsNaN(y)) return double.IsNaN(x) ? 1 : -1;
        if (!double.IsNaN(x) && x != y) return Better(x, y, metric) ? -1 : 1;
        return a.Id.CompareTo(b.Id);
    }

    private static List<TrialResult> Rank(IEnumerable<TrialResult> trials, SearchMetric metric)
    {
        var list = trials.ToList();
        list.Sort((a, b) => Compare(a, b, metric));
        return list;
    }

    /// <summary>The split <see cref="Run{TOptions}"/> makes when it has no validation data.</summary>
    internal static (IDataView Train, IDataView Validation) SplitValidation(IDataView data, MlpOptionsBase options, float fraction, int seed)
    {
        var task = TaskOf(options);
        var columns = TrainingDataReader.CheckSchema(data.Schema, task, options.FeatureColumnName, options.LabelColumnName, options.ExampleWeightColumnName);
        return SplitValidation(data, columns, task, fraction, seed, default);
    }

    /// <summary>Seeded, stratified (classification) split of <paramref name="data"/>'s rows into train and validation views.</summary>
    private static (IDataView Train, IDataView Validation) SplitValidation(IDataView data, TrainingDataReader.Columns columns, TaskKind task, float fraction, int seed, CancellationToken ct)
    {
        var strata = new List<long>();
        var label = columns.Label!.Value;
        using (var cursor = data.GetRowCursor([label]))
        {
            ValueGetter<uint>? key = task == TaskKind.Multiclass ? cursor.GetGetter<uint>(label) : null;
            ValueGetter<bool>? flag = task == TaskKind.Binary ? cursor.GetGetter<bool>(label) : null;
            uint k = 0;
            bool f = false;
            while (cursor.MoveNext())
            {
                if ((strata.Count & 1023) == 0) ct.ThrowIfCancellationRequested();
                if (key is not null) { key(ref k); strata.Add(k); }
                else if (flag is not null) { flag(ref f); strata.Add(f ? 1 : 0); }
                else strata.Add(0);
            }
        }
        int n = strata.Count;
        if (n < 2) throw new InvalidOperationException($"The training data has {n} row(s); a validation split needs at least 2.");
        var order = Enumerable.Range(0, n).ToArray();
        new CounterRandom(seed, (long)RandomPurpose.Split).Shuffle(order);
        var isValidation = new bool[n];
        foreach (var group in order.GroupBy(r => strata[r]))
        {
            var rows = group.ToArray();
            int take = (int)Math.Round(rows.Length * fraction);
            take = rows.Length >= 2 ? Math.Clamp(take, 1, rows.Length - 1) : 0;
            foreach (int r in rows.Take(take)) isValidation[r] = true;
        }
        if (!isValidation.Contains(true)) isValidation[order[0]] = true;
        var isTrain = isValidation.Select(v => !v).ToArray();
        return (new RowSubsetDataView(data, isTrain), new RowSubsetDataView(data, isValidation));
    }
}
