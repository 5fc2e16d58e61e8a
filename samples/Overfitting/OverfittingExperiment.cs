using MLNetBackprop.Engine;

namespace MLNetBackprop.Samples.Overfitting;

/// <summary>A regularisation setting: the L2 coefficient λ (weight decay) and the dropout rate.</summary>
/// <param name="Name">Label for tables and plots.</param>
/// <param name="L2">λ: the loss gains λ/2·Σw² over the weights (not biases), the gradient λ·w.</param>
/// <param name="Dropout">The probability of dropping each hidden unit in training (none at inference).</param>
public sealed record Regularization(string Name, float L2, float Dropout);

/// <summary>One training run: accuracy on the training rows and on the test rows after every epoch.</summary>
/// <param name="Setting">The regularisation.</param>
/// <param name="TrainAccuracy">Accuracy on the training rows after each epoch (inference mode: no dropout).</param>
/// <param name="TestAccuracy">Accuracy on the test rows after each epoch.</param>
/// <param name="TrainLoss">Mean training loss of each epoch (with dropout and the L2 term).</param>
public sealed record RegularizationRun(Regularization Setting, double[] TrainAccuracy, double[] TestAccuracy, double[] TrainLoss)
{
    /// <summary>Training accuracy minus test accuracy after epoch <paramref name="epoch"/> (1-based; default the last).</summary>
    public double Gap(int? epoch = null) => TrainAccuracy[(epoch ?? TrainAccuracy.Length) - 1] - TestAccuracy[(epoch ?? TestAccuracy.Length) - 1];
}

/// <summary>
/// The experiment of note 001 on overfitting: a large network trained on few rows fits them perfectly and does
/// worse on rows it has not seen; weight decay (L2) and dropout narrow the gap between training and test accuracy.
/// </summary>
public static class OverfittingExperiment
{
    /// <summary>Training rows per class: 30, so 300 rows in all.</summary>
    public const int RowsPerClass = 30;

    /// <summary>Hidden layers: 6 × 100 ReLU units (He normal).</summary>
    public static int[] HiddenLayers { get; } = [100, 100, 100, 100, 100, 100];

    /// <summary>The learning rate of SGD with momentum (μ = 0.9).</summary>
    public const double LearningRate = 0.01;

    /// <summary>Mini-batch size.</summary>
    public const int BatchSize = 100;

    /// <summary>The four settings of the sample: none, L2, dropout, both.</summary>
    public static IReadOnlyList<Regularization> Settings { get; } =
    [
        new("none", 0f, 0f),
        new("L2 (λ = 0.01)", 0.01f, 0f),
        new("dropout 0.2", 0f, 0.2f),
        new("L2 + dropout", 0.01f, 0.2f),
    ];

    /// <summary>
    /// The digits (data/digits.csv, standardised with the statistics of its 80 % training split): <paramref name="rowsPerClass"/>
    /// rows of each class from the training split (drawn with <paramref name="seed"/>) to train on, and every other
    /// row (the rest of the training split and the test split) to test on.
    /// </summary>
    public static (Dataset Train, Dataset Test) LoadDigits(int rowsPerClass = RowsPerClass, int seed = 1)
    {
        var (train, test) = Digits.Load();
        var rng = new Random(seed);
        var rows = Enumerable.Range(0, train.Rows)
            .GroupBy(i => train.Targets[i])
            .OrderBy(g => g.Key)
            .SelectMany(g => g.OrderBy(_ => rng.Next()).Take(rowsPerClass))
            .OrderBy(i => i)
            .ToArray();
        var rest = Enumerable.Range(0, train.Rows).Except(rows).ToArray();
        // The test rows: every digit not trained on (the test split and the training split's other rows).
        var unseen = new Dataset(
            new Matrix(rest.Length + test.Rows, train.FeatureCount,
                [.. train.Subset(rest).Features.Span, .. test.Features.Span]),
            [.. rest.Select(i => train.Targets[i]), .. test.Targets]);
        return (train.Subset(rows), unseen);
    }

    /// <summary>
    /// Trains the network on <paramref name="train"/> for <paramref name="epochs"/> epochs with the regularisation of
    /// <paramref name="setting"/>, by SGD with momentum, and measures both accuracies after every epoch. The initial weights
    /// and the batch order depend on <paramref name="seed"/> only.
    /// </summary>
    public static RegularizationRun Train(Dataset train, Dataset test, Regularization setting, int epochs, long seed = 1)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(setting);
        var spec = new NetworkSpec
        {
            InputSize = train.FeatureCount,
            HiddenLayers = HiddenLayers,
            Activation = Activation.Relu,
            Dropout = setting.Dropout,
            OutputSize = Digits.Classes,
        };
        var network = new Network(spec, seed);
        var trainAccuracy = new List<double>();
        var testAccuracy = new List<double>();
        var settings = new TrainingSettings
        {
            Epochs = epochs,
            BatchSize = BatchSize,
            Optimizer = Optimizer.Momentum(LearningRate),
            L2 = setting.L2,
            Seed = seed,
            // Called synchronously after every epoch, on the current weights.
            Progress = new Callback(_ =>
            {
                trainAccuracy.Add(Evaluator.Evaluate(network, train, ValidationMonitor.Accuracy).Metric);
                testAccuracy.Add(Evaluator.Evaluate(network, test, ValidationMonitor.Accuracy).Metric);
            }),
        };
        var history = new NetworkTrainer(network, settings).Train(train);
        return new RegularizationRun(setting, trainAccuracy.ToArray(), testAccuracy.ToArray(), history.Epochs.Select(e => e.TrainLoss).ToArray());
    }

    private sealed class Callback(Action<EpochReport> action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action(value);
    }
}
