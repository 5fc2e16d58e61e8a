// HyperparameterSearch: the seed notes' recipe on digits.
//   1. Put a test set aside and do not look at it until the very end.
//   2. Random search on the rest: learning rate and L2 on a log scale, architecture, activation,
//      optimizer, dropout, batch size and numeric embedding from lists; validation data held out of the
//      development set (stratified); few epochs per trial, bad trials abandoned early (successive
//      halving, eta = 3). Trial 1 is the default options, so the winner is never worse on validation.
//   3. Train one model (an ensemble of 4, as the defaults) with the chosen values on train + validation; report
//      test accuracy once.
// Usage: dotnet run --project samples/HyperparameterSearch -c Release [trials] [seed]
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop;

int trials = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 27;
int seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;

var ml = new MLContext(seed);
string csv = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv");
var data = ml.Data.LoadFromTextFile<Digit>(csv, separatorChar: ',', hasHeader: true);

// 1. The test set: 20% of the rows, used once at the very end.
var split = ml.Data.TrainTestSplit(data, testFraction: 0.2, seed: seed);
var labelToKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(split.TrainSet);
var development = labelToKey.Transform(split.TrainSet);   // train + validation: all the search may see
var test = labelToKey.Transform(split.TestSet);

// 2. The search. No validation set is passed, so 20% of the development rows are held out (stratified, seeded).
var defaults = new MlpMulticlassTrainer.Options();
var settings = new SearchSettings
{
    Trials = trials,
    Seed = seed,
    MinEpochs = 3,
    MaxEpochs = 27,            // rounds of 3, 9 and 27 epochs
    Progress = new ConsoleProgress(),
};
var space = new MlpSearchSpace();
Console.WriteLine($"Searching {trials} configurations on digits (validation loss, successive halving eta {settings.Eta}):");
Console.WriteLine($"  learning rate {space.LearningRate}, L2 {space.L2} or 0, hidden {string.Join(" ", space.HiddenLayers!.Select(h => "[" + string.Join(",", h) + "]"))},");
Console.WriteLine($"  activations {string.Join("/", space.Activations!)}, optimizers {string.Join("/", space.Optimizers!)}, dropout {string.Join("/", space.Dropouts!)}, " +
    $"batch {string.Join("/", space.BatchSizes!)}, numeric embeddings {string.Join("/", space.NumericEmbeddings!)}");
var result = MlpSearch.Run(ml, development, validation: null, defaults, space, settings);

Console.WriteLine();
Console.WriteLine($"Leaderboard (validation loss; {result.TrainRows} training rows, {result.ValidationRows} validation rows; " +
    $"{string.Join(" → ", result.RoundTrials)} trials for {string.Join(" → ", result.RoundEpochs)} epochs; {result.TotalEpochs} epochs in {result.Elapsed.TotalSeconds:F1}s):");
Console.WriteLine(result.FormatLeaderboard(top: 15));
Console.WriteLine();
Console.WriteLine($"Defaults (trial 1) : {result.Defaults.Summary}  validation loss {result.DefaultsMetric:F4}");
Console.WriteLine($"Best (trial {result.Best.Id,2})    : {result.Best.Summary}  validation loss {result.BestMetric:F4}");
Console.WriteLine($"The best beats the defaults on validation by {result.Improvement:F4} ({result.Improvement / result.DefaultsMetric:P1} lower loss) at the same {result.RoundEpochs[^1]}-epoch budget.");

// 3. The final model: the chosen values, trained on train + validation, evaluated on the test set once.
var best = result.BestOptions;
Console.WriteLine();
Console.WriteLine($"Training the final model on all {result.TrainRows + result.ValidationRows} development rows for {best.Epochs} epochs…");
var model = ml.MulticlassClassification.Trainers.Mlp(best).Fit(development);
// Each network of the ensemble holds out its own fold for validation and keeps its best epoch there (or stops early
// when the options ask for it); how each run ended is in its history.
for (int i = 0; i < model.Model.MemberHistories.Count; i++)
    Console.WriteLine($"  network {i + 1}: {model.Model.MemberHistories[i].StopReason}");
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"Test accuracy (reported once): micro {metrics.MicroAccuracy:P2}, macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}");

/// <summary>One row of digits.csv: 64 pixel intensities (0–16) and the digit.</summary>
public sealed class Digit
{
    [LoadColumn(0, 63), VectorType(64), ColumnName("Features")]
    public float[] Features { get; set; } = [];

    [LoadColumn(64)]
    public float Label { get; set; }
}

/// <summary>Prints one line per trial as soon as it finishes (on the search's thread, so lines stay in order).</summary>
internal sealed class ConsoleProgress : IProgress<TrialReport>
{
    private int _round;

    public void Report(TrialReport r)
    {
        if (r.Round != _round)
        {
            _round = r.Round;
            Console.WriteLine($"Round {r.Round}/{r.Rounds}: {r.TrialsInRound} trials × {r.Epochs} epochs");
        }
        string metric = r.Trial.Diverged ? "diverged" : r.Metric.ToString("F4", CultureInfo.InvariantCulture);
        Console.WriteLine($"  [{r.IndexInRound,2}/{r.TrialsInRound}] #{r.Trial.Id,-3}{(r.Trial.IsDefaults ? "*" : " ")} {r.Trial.Summary,-68} loss {metric}  best {r.BestInRound:F4}  {r.Elapsed.TotalSeconds,5:F1}s");
    }
}
