using MLNetBackprop.Engine;

namespace MLNetBackprop.Samples.BatchNormalization;

/// <summary>One training run: the loss and accuracy on the training rows after every epoch.</summary>
/// <param name="InitStd">σ of every weight's initial N(0, σ²) draw.</param>
/// <param name="BatchNorm">True when a BatchNorm layer sits between each hidden affine layer and its activation.</param>
/// <param name="TrainLoss">Mean training loss of each epoch (over its mini-batches, in training mode).</param>
/// <param name="TrainAccuracy">Accuracy on all training rows after each epoch (inference mode).</param>
/// <param name="DivergedInEpoch">The epoch whose loss became NaN or infinite, or null.</param>
public sealed record BatchNormRun(double InitStd, bool BatchNorm, double[] TrainLoss, double[] TrainAccuracy, int? DivergedInEpoch);

/// <summary>
/// The experiment of note 001 on batch normalisation: the same deep ReLU network trained by plain SGD from weights
/// drawn with several spreads, with and without BatchNorm. BatchNorm makes each layer's input mean 0 and variance 1
/// over the mini-batch whatever the weights' scale, so learning starts at once and hardly depends on the initial scale.
/// </summary>
public static class BatchNormExperiment
{
    /// <summary>The initial weight spreads of the sample, from far too large to far too small (He normal is σ = 0.14–0.18 here).</summary>
    public static IReadOnlyList<double> InitStds { get; } = [1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0001];

    /// <summary>Hidden layers: 5 × 100 ReLU units (64 → 100 → … → 100 → 10).</summary>
    public static int[] HiddenLayers { get; } = [100, 100, 100, 100, 100];

    /// <summary>Plain SGD's learning rate.</summary>
    public const double LearningRate = 0.05;

    /// <summary>Mini-batch size.</summary>
    public const int BatchSize = 100;

    /// <summary>The digits' training and test rows (data/digits.csv, split 80/20 per class, standardised).</summary>
    public static (Dataset Train, Dataset Test) LoadDigits() => Digits.Load();

    /// <summary>
    /// Trains the network for <paramref name="epochs"/> epochs from weights drawn N(0, <paramref name="initStd"/>²)
    /// (every affine layer, output included; biases 0), with or without BatchNorm, by plain SGD.
    /// The initial weights and the batch order depend on <paramref name="seed"/> only, not on BatchNorm.
    /// </summary>
    public static BatchNormRun Train(Dataset train, double initStd, bool batchNorm, int epochs, long seed = 1)
    {
        ArgumentNullException.ThrowIfNull(train);
        var spec = new NetworkSpec
        {
            InputSize = train.FeatureCount,
            HiddenLayers = HiddenLayers,
            Activation = Activation.Relu,
            BatchNorm = batchNorm,
            OutputSize = Digits.Classes,
        };
        var network = new Network(spec, seed);
        for (int l = 0; l < network.DenseLayers.Count - 1; l++)
        {
            var rng = new CounterRandom(seed, 2, l);
            var w = network.DenseLayers[l].Weight.Value;
            for (int i = 0; i < w.Length; i++) w[i] = (float)(initStd * rng.NextGaussian());
        }

        var accuracy = new List<double>();
        var loss = new List<double>();
        var settings = new TrainingSettings
        {
            Epochs = epochs,
            BatchSize = BatchSize,
            Optimizer = Optimizer.Sgd(LearningRate),
            Seed = seed,
            // Called synchronously after every epoch, on the current weights.
            Progress = new Callback(report =>
            {
                loss.Add(report.TrainLoss);
                accuracy.Add(Evaluator.Evaluate(network, train, ValidationMonitor.Accuracy).Metric);
            }),
        };
        int? diverged = null;
        try
        {
            new NetworkTrainer(network, settings).Train(train);
        }
        catch (TrainingDivergedException e)
        {
            diverged = e.Epoch;
        }
        return new BatchNormRun(initStd, batchNorm, loss.ToArray(), accuracy.ToArray(), diverged);
    }

    private sealed class Callback(Action<EpochReport> action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action(value);
    }
}
