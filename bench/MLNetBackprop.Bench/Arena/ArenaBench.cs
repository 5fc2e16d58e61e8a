using System.Diagnostics;
using Microsoft.ML;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// Mode <c>arena</c>: our Mlp (one or more named variants, <see cref="ArenaVariants"/>) against ML.NET's own trainers
/// (<see cref="ArenaPeers"/>) on the same seeded 75/25 splits (<see cref="SeededSplit"/>) and the same features
/// (<see cref="Featurizer"/>), in the same run. Metric: AUC (binary), micro accuracy (multiclass), R² (regression),
/// reported in points (× 100); fit time is the wall time of <c>Fit</c> alone. Output: <see cref="ArenaReport"/>.
/// </summary>
public static class ArenaBench
{
    /// <summary>
    /// <see cref="WarmupFits"/> fits on at most <see cref="WarmupRows"/> rows, untimed, precede the first timed fit of each
    /// (trainer, task), so JIT compilation and native library loading are not timed.
    /// </summary>
    private const int WarmupRows = 200, WarmupFits = 2;

    public static void Run(string[] args)
    {
        ArenaOptions options;
        try { options = ArenaOptions.Parse(args); }
        catch (Exception e) when (e is ArgumentException or DirectoryNotFoundException or FormatException)
        {
            Console.Error.WriteLine($"arena: {e.Message}");
            Environment.ExitCode = 2;
            return;
        }

        var peers = ArenaPeers.Select(options.Peers);
        bool runPeers = peers.Count > 0;
        // --peers none: take whatever peers the cache holds (gaps only if it has them).
        var peerCandidates = runPeers ? peers : (options.PeerCache is null ? [] : ArenaPeers.All);
        var mlps = options.Mlp.Select(ArenaVariants.Trainer).ToList();
        var cache = options.PeerCache is null ? null : PeerCache.Open(options.PeerCache);
        var report = new ArenaReport(options, string.Join(' ', args), cache);
        report.Start(peerCandidates, mlps, runPeers);

        var results = new List<SetResult>();
        var warmedUp = new HashSet<(string, ArenaTask)>();
        var total = Stopwatch.StartNew();
        foreach (string name in options.Sets)
        {
            var wall = Stopwatch.StartNew();
            var set = TabularSet.Load(options.DataDir, name);
            var result = new SetResult(set);
            report.SetStart(set);
            var peerRows = peerCandidates.Where(p => p.Build(new MLContext(1), set.Schema.Task, 1) is not null)
                .Select(p => new TrainerOnSet(p, p.DisplayName(set.Schema.Task))).ToList();
            var mlpRows = mlps.Select(m => new TrainerOnSet(m, m.DisplayName(set.Schema.Task))).ToList();

            for (int seed = 1; seed <= options.Seeds; seed++)
            {
                var split = SeededSplit.Make(set, seed);
                foreach (var note in split.Notes) result.Notes.Add($"seed {seed}: {note}");
                var data = Featurizer.Run(new MLContext(seed), set, split);
                (result.TrainRows, result.TestRows) = (data.TrainRows, data.TestRows);
                result.FeatureCounts.Add(data.FeatureCount);
                result.FeaturizeSeconds += data.Seconds / options.Seeds;
                if (set.Classes is int[] classes)
                {
                    var testClasses = split.Test.Select(r => classes[r]).ToHashSet();
                    var missing = Enumerable.Range(0, set.ClassCount).Where(c => !testClasses.Contains(c)).ToList();
                    if (missing.Count > 0) result.Notes.Add($"seed {seed}: class(es) {string.Join(", ", missing)} absent from the test part");
                }

                foreach (var row in peerRows)
                {
                    var r = cache?.TryGet(name, seed, row.Trainer.Id, data);
                    if (r is null && runPeers)
                    {
                        r = Fit(row.Trainer, set.Schema.Task, seed, data, warmedUp);
                        cache?.Put(name, seed, row.Trainer.Id, data, r);
                    }
                    if (r is not null) row.Seeds.Add(r);
                }
                foreach (var row in mlpRows) row.Seeds.Add(Fit(row.Trainer, set.Schema.Task, seed, data, warmedUp));
                report.SeedLine(seed, data, peerRows.Concat(mlpRows));
            }

            foreach (var row in peerRows)
            {
                if (row.Seeds.Count == options.Seeds) result.Peers.Add(row);
                else if (row.Seeds.Count > 0) result.Notes.Add($"{row.DisplayName}: cache has {row.Seeds.Count} of {options.Seeds} seeds; left out");
            }
            result.Mlps.AddRange(mlpRows);
            foreach (var row in result.Peers.Concat(result.Mlps))
                foreach (var (r, i) in row.Seeds.Select((r, i) => (r, i)))
                    if (r.Error is not null) result.Notes.Add($"{row.DisplayName} failed on seed {i + 1}: {r.Error}");
            results.Add(result);
            cache?.Save();
            report.SetEnd(result, wall.Elapsed.TotalSeconds);
            report.WriteMarkdown(results);
        }
        report.Summary(results, total.Elapsed.TotalSeconds);
        report.WriteMarkdown(results, final: true);
    }

    /// <summary>Builds the trainer on a fresh MLContext(seed), times Fit alone, scores the test part and evaluates; any exception = failed.</summary>
    private static FitResult Fit(ArenaTrainer trainer, ArenaTask task, int seed, FeaturizedSplit data, HashSet<(string, ArenaTask)> warmedUp)
    {
        if (warmedUp.Add((trainer.Id, task)))
        {
            for (int i = 0; i < WarmupFits; i++)
            {
                try
                {
                    var ml = new MLContext(seed);
                    trainer.Build(ml, task, seed)!.Fit(ml.Data.TakeRows(data.Train, WarmupRows));
                }
                catch (Exception) { /* a warm-up that fails says nothing: the timed fit below reports */ }
            }
            Thread.Sleep(200); // let the tiered JIT's background compilations finish
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double seconds = double.NaN;
        try
        {
            var ml = new MLContext(seed);
            var estimator = trainer.Build(ml, task, seed) ?? throw new InvalidOperationException($"{trainer.Id} does not apply to {task.Name()}");
            var sw = Stopwatch.StartNew();
            var model = estimator.Fit(data.Train);
            seconds = sw.Elapsed.TotalSeconds;
            return new FitResult(Evaluate(ml, task, model.Transform(data.Test)), seconds);
        }
        catch (Exception e)
        {
            var root = e.GetBaseException();
            string message = root == e ? $"{e.GetType().Name}: {e.Message}" : $"{e.GetType().Name} ← {root.GetType().Name}: {root.Message}";
            return new FitResult(double.NaN, seconds, message.ReplaceLineEndings(" "));
        }
    }

    /// <summary>Binary AUC (EvaluateNonCalibrated when the model has no Probability column, e.g. FastForest), multiclass micro accuracy, regression R².</summary>
    private static double Evaluate(MLContext ml, ArenaTask task, IDataView scored) => task switch
    {
        ArenaTask.Binary => scored.Schema.GetColumnOrNull("Probability") is null
            ? ml.BinaryClassification.EvaluateNonCalibrated(scored).AreaUnderRocCurve
            : ml.BinaryClassification.Evaluate(scored).AreaUnderRocCurve,
        ArenaTask.Multiclass => ml.MulticlassClassification.Evaluate(scored).MicroAccuracy,
        _ => ml.Regression.Evaluate(scored).RSquared,
    };
}
