using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Tests.MLNet;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.Tuning;

/// <summary>
/// Successive halving keeps exactly the best 1/η of a round by the search's metric, in the metric's direction (lower
/// for the validation loss, higher for AUC and R²), never a trial that diverged — checked against the round's metrics
/// ranked here, with the trials put in through the search space's <c>FixedTrials</c> seam: learning rates that spread
/// the metric, and one (trial 2, the lowest id after the defaults, so a NaN that compared as a tie would keep it) whose
/// learning rate of 10³⁰ makes its loss infinite in the first epoch. The recorded metric is checked too: a pruned trial
/// and the winner, retrained alone with their options, measure what the leaderboard says.
/// </summary>
public class SearchPruningTests(ITestOutputHelper output)
{
    private const double DivergingRate = 1e30;

    /// <summary>Defaults + 8 fixed trials, η = 3, rounds of 2 and 6 epochs: round 1 keeps 3 of 9 (plus the defaults).</summary>
    private SearchResult<TOptions> Search<TOptions>(MLContext ml, IDataView train, IDataView validation, TOptions baseOptions, SearchMetric metric)
        where TOptions : MlpOptionsBase, new()
    {
        var baseline = TrialConfiguration.From(baseOptions);
        double lr = baseline.LearningRate;
        double[] factors = [0.02, 0.3, 3, 0.1, 1.7, 2.4, 0.6];
        var trials = new List<TrialConfiguration> { baseline with { Optimizer = "sgd", LearningRate = DivergingRate } };
        trials.AddRange(factors.Select(f => baseline with { LearningRate = lr * f }));
        var space = new MlpSearchSpace { FixedTrials = trials };
        var settings = new SearchSettings { Trials = 9, Eta = 3, MinEpochs = 2, MaxEpochs = 6, Metric = metric };
        var result = MlpSearch.Run(ml, train, validation, baseOptions, space, settings);
        output.WriteLine(result.FormatLeaderboard());
        return result;
    }

    /// <summary>The pruning rule, written out: round 1's metrics ranked in the metric's direction, NaN last, ties by id; the first ⌊9/3⌋ kept, and the defaults.</summary>
    private void CheckPruning<TOptions>(SearchResult<TOptions> result, bool higherIsBetter) where TOptions : MlpOptionsBase
    {
        Assert.Equal(higherIsBetter, result.HigherIsBetter);
        Assert.Equal([2, 6], result.RoundEpochs);
        var all = result.Leaderboard;
        Assert.Equal(9, all.Count);
        Assert.All(all, t => Assert.True(t.RoundMetrics.Count >= 1));

        // The forced divergence: NaN in round 1, pruned there, ranked last of all.
        var diverged = all.Single(t => t.Id == 2);
        Assert.Equal(DivergingRate, diverged.Configuration.LearningRate);
        Assert.True(diverged.Diverged);
        Assert.True(double.IsNaN(diverged.RoundMetrics[0]));
        Assert.Equal(1, diverged.PrunedAtRound);
        Assert.Same(diverged, all[^1]);
        Assert.All(all.Where(t => t.Id != 2), t => Assert.True(double.IsFinite(t.RoundMetrics[0]), $"trial {t.Id}: {t.RoundMetrics[0]}"));

        // Round 1 ranked here. Distinct values, so the direction (not an id tie-break) decides every place.
        var ranked = all.OrderBy(t => double.IsNaN(t.RoundMetrics[0]) ? 1 : 0)
            .ThenBy(t => higherIsBetter ? -t.RoundMetrics[0] : t.RoundMetrics[0])
            .ThenBy(t => t.Id).ToList();
        var finite = ranked.Where(t => !t.Diverged).Select(t => t.RoundMetrics[0]).ToList();
        Assert.Equal(finite.Count, finite.Distinct().Count());
        var expected = ranked.Take(3).Select(t => t.Id).Append(1).ToHashSet();
        output.WriteLine($"round 1 kept {string.Join(", ", ranked.Take(3).Select(t => t.Id))}{(expected.Count == 4 ? " and the defaults (#1)" : "")}");
        var secondRound = all.Where(t => t.RoundMetrics.Count == 2).Select(t => t.Id).ToHashSet();
        Assert.Equal(expected.OrderBy(i => i), secondRound.OrderBy(i => i));
        Assert.Equal(secondRound.Count, result.RoundTrials[1]);
        // The opposite direction would have kept other trials: the check above can tell them apart.
        Assert.NotEqual(expected, ranked.Where(t => !t.Diverged).TakeLast(3).Select(t => t.Id).Append(1).ToHashSet());
        Assert.All(all.Where(t => !secondRound.Contains(t.Id)), t => Assert.Equal(1, t.PrunedAtRound));
        Assert.All(all.Where(t => secondRound.Contains(t.Id)), t => Assert.Null(t.PrunedAtRound));

        // The winner is the best of the last round, in the metric's direction.
        var finalists = all.Where(t => t.RoundMetrics.Count == 2).ToList();
        double best = higherIsBetter ? finalists.Max(t => t.Metric) : finalists.Min(t => t.Metric);
        Assert.Equal(best, result.BestMetric);
        Assert.Contains(result.Best.Id, secondRound);
    }

    /// <summary>Retrains <paramref name="trial"/> for round <paramref name="round"/>'s epochs as the search does (one network, the validation data) and measures it.</summary>
    private static double Remeasure<TOptions>(SearchResult<TOptions> result, TrialResult trial, int round,
        Func<TOptions, MlpPredictionTransformerBase> fit, Func<MlpPredictionTransformerBase, double> measure) where TOptions : MlpOptionsBase
    {
        var options = result.OptionsFor(trial);
        options.Epochs = result.RoundEpochs[round];
        options.EnsembleSize = 1;
        options.ValidationFraction = 0;
        return measure(fit(options));
    }

    [Fact]
    public void LowerIsBetterValidationLossKeepsTheLowestThird()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("wine.csv");
        var (tr, va) = Datasets.StratifiedSplit(y, 0.3, 4);
        var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(MLData.Float(ml, x, y, tr));
        var train = key.Transform(MLData.Float(ml, x, y, tr));
        var validation = key.Transform(MLData.Float(ml, x, y, va));
        var baseOptions = new MlpMulticlassTrainer.Options { HiddenLayers = [16], BatchSize = 16, EnsembleSize = 1 };
        var result = Search(ml, train, validation, baseOptions, SearchMetric.ValidationLoss);
        CheckPruning(result, higherIsBetter: false);
        Assert.Equal(4, result.RoundTrials[1]); // here the defaults were not among the best third, and were carried anyway

        MlpPredictionTransformerBase Fit(MlpMulticlassTrainer.Options o) => ml.MulticlassClassification.Trainers.Mlp(o).Fit(train, validation);
        static double Loss(MlpPredictionTransformerBase m) => m.History.Epochs[m.History.BestEpoch - 1].ValidationLoss!.Value;
        var pruned = result.Leaderboard.First(t => t.PrunedAtRound == 1 && !t.Diverged);
        Assert.Equal(pruned.RoundMetrics[0], Remeasure(result, pruned, 0, Fit, Loss));
        Assert.Equal(result.BestMetric, Remeasure(result, result.Best, 1, Fit, Loss));
    }

    [Fact]
    public void HigherIsBetterAucKeepsTheHighestThird()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var (tr, va) = Datasets.StratifiedSplit(y, 0.3, 5);
        var train = MLData.Bool(ml, x, y, tr);
        var validation = MLData.Bool(ml, x, y, va);
        var baseOptions = new MlpBinaryTrainer.Options { HiddenLayers = [16], BatchSize = 32, EnsembleSize = 1 };
        var result = Search(ml, train, validation, baseOptions, SearchMetric.Auc);
        CheckPruning(result, higherIsBetter: true);

        MlpPredictionTransformerBase Fit(MlpBinaryTrainer.Options o) => ml.BinaryClassification.Trainers.Mlp(o).Fit(train, validation);
        double Auc(MlpPredictionTransformerBase m) => ml.BinaryClassification.Evaluate(m.Transform(validation)).AreaUnderRocCurve;
        var pruned = result.Leaderboard.First(t => t.PrunedAtRound == 1 && !t.Diverged);
        Assert.Equal(pruned.RoundMetrics[0], Remeasure(result, pruned, 0, Fit, Auc));
        Assert.Equal(result.BestMetric, Remeasure(result, result.Best, 1, Fit, Auc));
    }

    [Fact]
    public void HigherIsBetterRSquaredKeepsTheHighestThird()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("diabetes.csv");
        var (tr, va) = Datasets.RandomSplit(y.Length, 0.3, 6);
        var train = MLData.Float(ml, x, y, tr);
        var validation = MLData.Float(ml, x, y, va);
        var baseOptions = new MlpRegressionTrainer.Options { HiddenLayers = [16], BatchSize = 32, EnsembleSize = 1 };
        var result = Search(ml, train, validation, baseOptions, SearchMetric.RSquared);
        CheckPruning(result, higherIsBetter: true);

        MlpPredictionTransformerBase Fit(MlpRegressionTrainer.Options o) => ml.Regression.Trainers.Mlp(o).Fit(train, validation);
        double R2(MlpPredictionTransformerBase m) => ml.Regression.Evaluate(m.Transform(validation)).RSquared;
        var pruned = result.Leaderboard.First(t => t.PrunedAtRound == 1 && !t.Diverged);
        Assert.Equal(pruned.RoundMetrics[0], Remeasure(result, pruned, 0, Fit, R2));
        Assert.Equal(result.BestMetric, Remeasure(result, result.Best, 1, Fit, R2));
    }
}
