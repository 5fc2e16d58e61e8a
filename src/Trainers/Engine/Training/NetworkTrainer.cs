using System.Diagnostics;

namespace MLNetBackprop.Engine;

/// <summary>
/// The training loop, as the algorithm reads: for each epoch, shuffle; for each mini-batch,
/// forward → loss → backward → step; then evaluate on the validation data, keep the best weights,
/// and stop early when asked. Every random choice comes from a <see cref="CounterRandom"/> keyed on
/// (seed, purpose, epoch, batch), so a run is bit-for-bit reproducible for a given seed and thread count.
/// </summary>
public sealed class NetworkTrainer
{
    private readonly Network _network;
    private readonly TrainingSettings _settings;
    private Matrix? _batchFeatures;
    private float[] _batchTargets = [];
    private float[] _batchWeights = [];

    /// <summary>Prepares to train <paramref name="network"/> with <paramref name="settings"/>.</summary>
    /// <param name="network">The network; its weights are updated in place.</param>
    /// <param name="settings">How to train.</param>
    public NetworkTrainer(Network network, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _network = network;
        _settings = settings;
        OptimizerState = settings.Optimizer.CreateState(network.Parameters);
    }

    /// <summary>The optimizer's state (step count and per-parameter slots).</summary>
    public OptimizerState OptimizerState { get; }

    /// <summary>Trains for up to <see cref="TrainingSettings.Epochs"/> epochs.</summary>
    /// <param name="train">Training data.</param>
    /// <param name="validation">Optional validation data: reported every epoch; the best epoch's weights are returned.</param>
    /// <returns>The history; <see cref="TrainingHistory.BestEpoch"/> names the epoch whose weights the network now holds.</returns>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite and no earlier best weights exist.</exception>
    public TrainingHistory Train(Dataset train, Dataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Rows == 0) throw new ArgumentException("The training data has no rows.", nameof(train));
        CheckShape(train, nameof(train));
        if (validation is not null)
        {
            CheckShape(validation, nameof(validation));
            if (validation.Rows == 0) validation = null;
        }

        var s = _settings;
        var history = new TrainingHistory();
        var schedule = s.Schedule.Start(s.Optimizer.LearningRate);
        var clock = Stopwatch.StartNew();
        int n = train.Rows;
        int batchSize = Math.Min(s.BatchSize, n);
        int batches = (n + batchSize - 1) / batchSize;
        var order = new int[n];
        var norms = new double[_network.DenseLayers.Count];
        var monitor = s.EarlyStopping?.Monitor ?? ValidationMonitor.Loss;
        double best = double.NaN;
        int bestEpoch = 0, sinceBest = 0;
        float[][]? bestState = null;

        for (int epoch = 0; epoch < s.Epochs; epoch++)
        {
            for (int i = 0; i < n; i++) order[i] = i;
            if (s.Shuffle) new CounterRandom(s.Seed, (long)RandomPurpose.Shuffle, epoch).Shuffle(order);
            Array.Clear(norms);
            double lossSum = 0, lr = 0;
            int seen = 0;
            for (int b = 0; b < batches; b++)
            {
                s.CancellationToken.ThrowIfCancellationRequested();
                int start = b * batchSize, rows = Math.Min(batchSize, n - start);
                // A training-mode BatchNorm cannot normalise a single row (PyTorch refuses it too).
                if (rows == 1 && _network.Spec.BatchNorm && n > 1) continue;
                var batch = Gather(train, order.AsSpan(start, rows));
                _network.SetDropoutKey(s.Seed, epoch, b);
                double loss = _network.ComputeGradients(batch, _batchTargets.AsSpan(0, rows * train.TargetWidth),
                    train.Weights is null ? default : _batchWeights.AsSpan(0, rows), s.L2);
                if (!double.IsFinite(loss))
                {
                    if (bestState is not null)
                    {
                        RestoreState(bestState);
                        history.BestEpoch = bestEpoch;
                        history.StopReason = $"The loss became {loss} in epoch {epoch + 1}; the weights of epoch {bestEpoch} were restored. Try a lower learning rate.";
                        return history;
                    }
                    throw new TrainingDivergedException(epoch + 1, loss);
                }
                for (int l = 0; l < norms.Length; l++) norms[l] += _network.GradientNorms[l];
                if (s.GradientClipNorm is { } maxNorm) Kernels.ClipGlobalNorm(_network.Parameters, maxNorm);
                lr = schedule.Rate(epoch, (double)b / batches);
                OptimizerState.Step(lr);
                lossSum += loss * rows;
                seen += rows;
            }
            for (int l = 0; l < norms.Length; l++) norms[l] /= Math.Max(1, batches);

            double trainLoss = lossSum / Math.Max(1, seen);
            double? valLoss = null, valMetric = null;
            if (validation is not null)
            {
                var eval = Evaluator.Evaluate(_network, validation, monitor, s.BatchSize);
                valLoss = eval.Loss;
                valMetric = eval.Metric;
            }
            var report = new EpochReport
            {
                Epoch = epoch + 1,
                TrainLoss = trainLoss,
                ValidationLoss = valLoss,
                ValidationMetric = valMetric,
                LearningRate = lr,
                Elapsed = clock.Elapsed,
                GradientNorms = (double[])norms.Clone(),
            };
            history.Add(report);
            s.Progress?.Report(report);
            schedule.EpochEnded(valLoss ?? trainLoss);

            if (validation is null) continue;
            double score = monitor == ValidationMonitor.Loss ? -valLoss!.Value : valMetric!.Value;
            double minDelta = s.EarlyStopping?.MinDelta ?? 0;
            if (double.IsNaN(best) || score > best + minDelta)
            {
                best = score;
                bestEpoch = epoch + 1;
                sinceBest = 0;
                bestState = CaptureState(bestState);
            }
            else if (s.EarlyStopping is { } es && ++sinceBest >= es.Patience)
            {
                RestoreState(bestState!);
                history.BestEpoch = bestEpoch;
                history.StopReason = $"Early stopping: no improvement of the validation {monitor} for {es.Patience} epochs; kept epoch {bestEpoch}.";
                return history;
            }
        }

        if (bestState is not null && bestEpoch != history.Epochs.Count)
        {
            RestoreState(bestState);
            history.BestEpoch = bestEpoch;
            history.StopReason = $"Reached {s.Epochs} epochs; kept the best validation epoch {bestEpoch}.";
        }
        else
        {
            history.BestEpoch = history.Epochs.Count;
            history.StopReason = $"Reached {s.Epochs} epochs.";
        }
        return history;
    }

    private void CheckShape(Dataset data, string name)
    {
        if (data.Features.Columns != _network.InputSize)
            throw new ArgumentException($"The {name} data has {data.Features.Columns} features; the network expects {_network.InputSize}.", name);
        int width = _network.Loss.TargetsAreClassIndices ? 1 : _network.OutputSize;
        if (data.TargetWidth != width)
            throw new ArgumentException($"The {name} data has {data.TargetWidth} targets per row; the loss expects {width}.", name);
    }

    private Matrix Gather(Dataset data, ReadOnlySpan<int> rows)
    {
        var x = Matrix.Ensure(ref _batchFeatures, rows.Length, data.Features.Columns);
        int tw = data.TargetWidth;
        if (_batchTargets.Length < rows.Length * tw) _batchTargets = new float[rows.Length * tw];
        if (data.Weights is not null && _batchWeights.Length < rows.Length) _batchWeights = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            data.Features.Row(r).CopyTo(x.Row(i));
            data.Targets.AsSpan(r * tw, tw).CopyTo(_batchTargets.AsSpan(i * tw, tw));
            if (data.Weights is not null) _batchWeights[i] = data.Weights[r];
        }
        return x;
    }

    private float[][] CaptureState(float[][]? reuse)
    {
        var buffers = _network.StateBuffers();
        reuse ??= buffers.Select(b => new float[b.Length]).ToArray();
        for (int i = 0; i < buffers.Count; i++) buffers[i].CopyTo(reuse[i], 0);
        return reuse;
    }

    private void RestoreState(float[][] state)
    {
        var buffers = _network.StateBuffers();
        for (int i = 0; i < buffers.Count; i++) state[i].CopyTo(buffers[i], 0);
    }
}
