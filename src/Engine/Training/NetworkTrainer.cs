using System.Diagnostics;

namespace MLNetBackprop.Engine;

/// <summary>
/// The training loop, as the algorithm reads: for each epoch, the rows in a shuffled order (see
/// <see cref="RowOrder"/>; from memory or streamed, see <see cref="ITrainingRows"/>); for each mini-batch,
/// forward → loss → backward → step; then evaluate on the validation data, keep the best weights,
/// and stop early when asked. Every random choice comes from a <see cref="CounterRandom"/> keyed on
/// (seed, purpose, epoch, batch), so a run is bit-for-bit reproducible for a given seed and thread count,
/// and a run resumed from a checkpoint (<see cref="TrainingSettings.CheckpointPath"/>, <see cref="Resume(Network, TrainingSettings, string)"/>)
/// is bit-for-bit the run that was never interrupted.
/// </summary>
public sealed class NetworkTrainer
{
    private readonly Network _network;
    private readonly TrainingSettings _settings;
    private TrainingRun? _resumed;
    private RunIdentity? _resumedIdentity;
    private RunIdentity? _identity;

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

    /// <summary>The network being trained (its weights are updated in place).</summary>
    public Network Network => _network;

    /// <summary>
    /// Prepares to continue the run saved in <paramref name="checkpointPath"/>: loads the checkpoint's
    /// weights, running statistics, optimizer state, schedule state, best-epoch snapshot and history into
    /// <paramref name="network"/> and the new trainer. The next <see cref="Train(ITrainingRows, ITrainingRows?)"/> call then runs the
    /// remaining epochs up to <see cref="TrainingSettings.Epochs"/> (counted from the run's start) and
    /// returns the whole run's history. With the same settings, data and seed the result is bit-identical
    /// to a run that was never interrupted. Settings may differ (more epochs, another checkpoint path), but
    /// the optimizer must be the same rule.
    /// </summary>
    /// <param name="network">A network with the checkpoint's spec (see <see cref="TrainingCheckpoint.Spec"/>); overwritten.</param>
    /// <param name="settings">How to go on training.</param>
    /// <param name="checkpointPath">A file written by a run with <see cref="TrainingSettings.CheckpointPath"/>.</param>
    /// <exception cref="InvalidDataException">The file is not a valid checkpoint.</exception>
    /// <exception cref="ArgumentException">The network or optimizer does not match the checkpoint.</exception>
    public static NetworkTrainer Resume(Network network, TrainingSettings settings, string checkpointPath)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(checkpointPath);
        return Resume(network, settings, TrainingCheckpoint.Load(checkpointPath));
    }

    /// <summary>As <see cref="Resume(Network, TrainingSettings, string)"/>, on a new network built from the checkpoint's spec (see <see cref="Network"/>).</summary>
    /// <param name="settings">How to go on training.</param>
    /// <param name="checkpointPath">A file written by a run with <see cref="TrainingSettings.CheckpointPath"/>.</param>
    public static NetworkTrainer Resume(TrainingSettings settings, string checkpointPath)
    {
        ArgumentNullException.ThrowIfNull(checkpointPath);
        var checkpoint = TrainingCheckpoint.Load(checkpointPath);
        return Resume(new Network(checkpoint.Spec, 0), settings, checkpoint);
    }

    internal static NetworkTrainer Resume(Network network, TrainingSettings settings, TrainingCheckpoint checkpoint)
    {
        var trainer = new NetworkTrainer(network, settings);
        checkpoint.RestoreNetwork(network);
        checkpoint.RestoreOptimizer(trainer.OptimizerState);
        trainer._resumed = checkpoint.CreateRun(settings.Schedule.Start(settings.Optimizer.LearningRate, settings.Epochs));
        trainer._resumedIdentity = checkpoint.Identity;
        if (checkpoint.EpochsCompleted > settings.Epochs)
            throw new ArgumentException($"The checkpoint holds {checkpoint.EpochsCompleted} completed epochs; Epochs is {settings.Epochs}. " +
                "Resuming continues a run up to Epochs (counted from its start): set Epochs ≥ the checkpoint's epochs.", nameof(settings));
        return trainer;
    }

    /// <summary>
    /// Trains for up to <see cref="TrainingSettings.Epochs"/> epochs (or, after <see cref="Resume(Network, TrainingSettings, string)"/>,
    /// for the epochs the resumed run has left).
    /// </summary>
    /// <param name="train">Training data.</param>
    /// <param name="validation">Optional validation data: reported every epoch; the best epoch's weights are returned.</param>
    /// <returns>The history; <see cref="TrainingHistory.BestEpoch"/> names the epoch whose weights the network now holds.</returns>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite and no earlier best weights exist.</exception>
    /// <exception cref="OperationCanceledException">The cancellation token was cancelled (or <see cref="TrainingSettings.CheckAlive"/> threw it); the last checkpoint, if any, stays valid.</exception>
    public TrainingHistory Train(Dataset train, Dataset? validation = null) => Train((ITrainingRows)train, validation);

    /// <summary>
    /// As <see cref="Train(Dataset, Dataset?)"/>, on any rows: in memory (<see cref="Dataset"/>) or streamed
    /// with bounded memory (<see cref="StreamedRows"/>). Each epoch reads the rows in the <see cref="RowOrder"/>
    /// given by the seed, the epoch, <see cref="TrainingSettings.Shuffle"/> and <see cref="TrainingSettings.ShuffleBlockRows"/>.
    /// </summary>
    /// <param name="train">Training rows.</param>
    /// <param name="validation">Optional validation rows, read in storage order after every epoch.</param>
    /// <returns>The history; <see cref="TrainingHistory.BestEpoch"/> names the epoch whose weights the network now holds.</returns>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite and no earlier best weights exist.</exception>
    /// <exception cref="OperationCanceledException">Training was cancelled; the last checkpoint, if any, stays valid.</exception>
    /// <exception cref="ArgumentException">The rows do not fit the network, or the early-stopping monitor does not fit its loss (<see cref="Evaluator.CheckMonitor"/>).</exception>
    public TrainingHistory Train(ITrainingRows train, ITrainingRows? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Rows == 0) throw new ArgumentException("The training data has no rows.", nameof(train));
        CheckShape(train, nameof(train));
        if (validation is not null)
        {
            CheckShape(validation, nameof(validation));
            Evaluator.CheckMonitor(_network, validation.TargetWidth, Monitor);
            if (validation.Rows == 0) validation = null;
        }

        var s = _settings;
        // The run's identity fingerprints every training value (a pass over all the data), so it is made only when a
        // checkpoint will be written or a resumed one checked.
        _identity = s.CheckpointPath is not null || _resumedIdentity is not null ? RunIdentity.Of(s, train) : null;
        // A resumed run must be the same run: the same settings that shape its steps, the same training rows.
        if (_resumedIdentity?.FirstDifference(_identity!) is { } difference)
            throw new ArgumentException($"Cannot resume from the checkpoint: {difference} Start afresh (ResumeFromCheckpoint = false) or use the run's settings and data.");
        _resumedIdentity = null;
        var run = _resumed ?? new TrainingRun(s.Schedule.Start(s.Optimizer.LearningRate, s.Epochs));
        _resumed = null;
        var clock = Stopwatch.StartNew();
        var elapsedBefore = run.ElapsedBefore; // earlier sessions of a resumed run; fixed for this session
        if (EarlyStoppingDue(run)) return Finish(run, earlyStopped: true); // a resumed run that had already stopped

        for (int epoch = run.EpochsCompleted; epoch < s.Epochs; epoch++)
        {
            var epochResult = TrainOneEpoch(train, epoch, run.Schedule);
            if (!double.IsFinite(epochResult.TrainLoss)) return Diverged(run, epoch + 1, epochResult.TrainLoss);

            var (validationLoss, validationMetric) = validation is null ? (null, null) : Evaluate(validation);
            var report = new EpochReport
            {
                Epoch = epoch + 1,
                TrainLoss = epochResult.TrainLoss,
                ValidationLoss = validationLoss,
                ValidationMetric = validationMetric,
                LearningRate = epochResult.LearningRate,
                Elapsed = elapsedBefore + clock.Elapsed,
                GradientNorms = epochResult.GradientNorms,
            };
            run.History.Add(report);
            run.Schedule.EpochEnded(validationLoss ?? epochResult.TrainLoss);
            if (validation is not null) KeepIfBest(run, Score(validationLoss!.Value, validationMetric!.Value), epoch + 1);
            run.EpochsCompleted = epoch + 1;

            bool stopEarly = EarlyStoppingDue(run);
            if (CheckpointDue(run.EpochsCompleted, stopEarly)) SaveCheckpoint(run);
            s.Progress?.Report(report);
            if (stopEarly) return Finish(run, earlyStopped: true);
        }
        return Finish(run, earlyStopped: false);
    }

    /// <summary>The mean loss, the last learning rate and the mean gradient norms of an epoch; a non-finite loss means it diverged.</summary>
    private readonly record struct EpochResult(double TrainLoss, double LearningRate, double[] GradientNorms);

    /// <summary>One pass over the epoch's shuffled rows: for each mini-batch, forward → loss → backward → (clip) → step.</summary>
    private EpochResult TrainOneEpoch(ITrainingRows train, int epoch, LearningRateSchedule.Run schedule)
    {
        var s = _settings;
        long n = train.Rows;
        int batchSize = (int)Math.Min(s.BatchSize, n), batches = checked((int)((n + batchSize - 1) / batchSize));
        var order = new RowOrder(s.Seed, epoch, s.Shuffle, s.ShuffleBlockRows);
        var norms = new double[_network.DenseLayers.Count];
        double lossSum = 0, lr = 0;
        long seen = 0;
        int b = -1;
        foreach (var batch in train.Batches(order, batchSize))
        {
            b++;
            ThrowIfStopRequested();
            int rows = batch.Rows;
            // A training-mode BatchNorm cannot normalise a single row (PyTorch refuses it too).
            if (rows == 1 && _network.Spec.BatchNorm && n > 1) continue;
            _network.SetDropoutKey(s.Seed, epoch, b);
            double loss = _network.ComputeGradients(batch.Features, batch.TargetSpan, batch.WeightSpan, s.L2);
            if (!double.IsFinite(loss)) return new EpochResult(loss, lr, norms);
            for (int l = 0; l < norms.Length; l++) norms[l] += _network.GradientNorms[l];
            if (s.GradientClipNorm is { } maxNorm) GradientClipping.ClipGlobalNorm(_network.Parameters, maxNorm);
            lr = schedule.Rate(epoch, (double)b / batches);
            OptimizerState.Step(lr);
            lossSum += loss * rows;
            seen += rows;
        }
        for (int l = 0; l < norms.Length; l++) norms[l] /= Math.Max(1, batches);
        return new EpochResult(lossSum / Math.Max(1, seen), lr, norms);
    }

    private void ThrowIfStopRequested()
    {
        _settings.CancellationToken.ThrowIfCancellationRequested();
        _settings.CheckAlive?.Invoke();
    }

    private ValidationMonitor Monitor => _settings.EarlyStopping?.Monitor ?? ValidationMonitor.Loss;

    private (double? Loss, double? Metric) Evaluate(ITrainingRows validation)
    {
        var (loss, metric) = Evaluator.Evaluate(_network, validation, Monitor, _settings.BatchSize);
        return (loss, metric);
    }

    /// <summary>Higher is better: the negated loss, or the metric.</summary>
    private double Score(double validationLoss, double validationMetric) => Monitor == ValidationMonitor.Loss ? -validationLoss : validationMetric;

    private void KeepIfBest(TrainingRun run, double score, int epoch)
    {
        double minDelta = _settings.EarlyStopping?.MinDelta ?? 0;
        if (run.BestState is null || score > run.BestScore + minDelta)
        {
            run.BestScore = score;
            run.BestEpoch = epoch;
            run.EpochsSinceBest = 0;
            run.BestState = CaptureState(run.BestState);
        }
        else run.EpochsSinceBest++;
    }

    private bool EarlyStoppingDue(TrainingRun run)
        => _settings.EarlyStopping is { } es && run.BestState is not null && run.EpochsSinceBest >= es.Patience;

    private bool CheckpointDue(int epochsCompleted, bool stopping)
        => _settings.CheckpointPath is not null
           && (epochsCompleted % _settings.CheckpointEvery == 0 || epochsCompleted >= _settings.Epochs || stopping);

    private void SaveCheckpoint(TrainingRun run)
        => TrainingCheckpoint.Capture(_network, OptimizerState, run, _identity!).Save(_settings.CheckpointPath!);

    /// <summary>The loss became NaN or infinite: go back to the best epoch if there is one, else throw.</summary>
    private TrainingHistory Diverged(TrainingRun run, int epoch, double loss)
    {
        if (run.BestState is null) throw new TrainingDivergedException(epoch, loss);
        RestoreState(run.BestState);
        run.History.BestEpoch = run.BestEpoch;
        run.History.StopReason = $"Diverged: the loss became {loss} in epoch {epoch}; the weights of the best epoch {run.BestEpoch} were restored. Try a lower learning rate.";
        return run.History;
    }

    private static string MonitorName(ValidationMonitor monitor) => monitor switch
    {
        ValidationMonitor.Loss => "loss",
        ValidationMonitor.Accuracy => "accuracy",
        ValidationMonitor.Auc => "AUC",
        ValidationMonitor.RSquared => "R²",
        _ => monitor.ToString(),
    };

    /// <summary>Leaves the network with the weights to return and says why training stopped.</summary>
    private TrainingHistory Finish(TrainingRun run, bool earlyStopped)
    {
        var history = run.History;
        int last = history.Epochs.Count;
        if (earlyStopped)
        {
            RestoreState(run.BestState!);
            history.BestEpoch = run.BestEpoch;
            var es = _settings.EarlyStopping!;
            string by = es.MinDelta > 0 ? $" by more than {es.MinDelta:G4} (MinDelta)" : "";
            history.StopReason = $"Early stopping at epoch {last} of {_settings.Epochs}: the validation {MonitorName(Monitor)} did not improve{by} for " +
                                 $"{es.Patience} epochs (Patience); the weights of the best epoch {run.BestEpoch} were restored.";
        }
        else if (run.BestState is not null && run.BestEpoch != last)
        {
            RestoreState(run.BestState);
            history.BestEpoch = run.BestEpoch;
            history.StopReason = $"Reached {last} epochs; kept the best validation epoch {run.BestEpoch}.";
        }
        else
        {
            history.BestEpoch = last;
            history.StopReason = $"Reached {last} epochs.";
        }
        return history;
    }

    private void CheckShape(ITrainingRows data, string name)
    {
        if (data.FeatureCount != _network.InputSize)
            throw new ArgumentException($"The {name} data has {data.FeatureCount} features; the network expects {_network.InputSize}.", name);
        int width = _network.Loss.TargetsAreClassIndices ? 1 : _network.OutputSize;
        if (data.TargetWidth != width)
            throw new ArgumentException($"The {name} data has {data.TargetWidth} targets per row; the loss expects {width}.", name);
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
