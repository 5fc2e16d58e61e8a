using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// What the three MLP estimators share at Fit: options → network spec, data → engine datasets
/// (validation split, feature standardisation, label scaling, class weights), the training run,
/// and the resulting <see cref="MlpModelParameters"/>. The data is read into memory, or — when it would
/// exceed <see cref="MlpOptionsBase.MemoryBudgetMegabytes"/> — streamed from the view (<see cref="TrainStreamed"/>).
/// </summary>
internal static class MlpTrainingCore
{
    /// <summary>Trains on <paramref name="trainData"/>, whose schema the caller has checked into <paramref name="columns"/>.</summary>
    public static MlpModelParameters Train(IHostEnvironment env, MlpOptionsBase options, TaskKind task,
        IDataView trainData, TrainingDataReader.Columns columns, IDataView? validationData, MlpModelParameters? warmStart,
        int outputSize, LossKind loss, float labelSmoothing, float huberDelta, float[]? classWeights, ClassWeighting weighting)
    {
        options.Validate();
        var host = env.Register("Mlp" + task);
        long seed = options.Seed ?? host.Rand.Next();
        if (StreamingWindowRows(options, trainData, columns) is { } windowRows)
            return TrainStreamed(env, host, options, task, trainData, validationData, warmStart, columns, windowRows, seed,
                outputSize, loss, labelSmoothing, huberDelta, classWeights, weighting);
        var all = TrainingDataReader.Read(trainData, columns, task, options.SkipRowsWithNonFiniteFeatures, out long skippedTrain, options.CancellationToken);
        long skippedValidation = 0;

        Dataset train, validation;
        if (validationData is not null)
        {
            var vColumns = CheckValidationSchema(validationData, columns, task, options);
            train = all;
            validation = TrainingDataReader.Read(validationData, vColumns, task, options.SkipRowsWithNonFiniteFeatures, out skippedValidation, options.CancellationToken, role: "validation");
        }
        else (train, validation) = Split(all, options.ValidationFraction, task != TaskKind.Regression, seed);

        if (task != TaskKind.Regression) CheckClasses(train, outputSize, options.LabelColumnName);

        // Feature normalisation: from the training part only; a warm start keeps the original statistics.
        int d = columns.FeatureCount;
        FeatureTransform transform;
        if (warmStart is not null)
        {
            CheckWarmStartInput(warmStart, d, options);
            transform = warmStart.Features;
        }
        else transform = options.FeatureNormalization switch
        {
            FeatureNormalization.Standard => Standardization.Fit(train.Features),
            FeatureNormalization.Robust => RobustScaling.Fit(train.Features),
            _ => FeatureTransform.Identity(d),
        };
        transform.ApplyInPlace(train.Features);
        if (validation.Rows > 0) transform.ApplyInPlace(validation.Features);

        float labelMean = 0, labelScale = 1;
        if (task == TaskKind.Regression)
        {
            (labelMean, labelScale) = warmStart is not null ? (warmStart.LabelMean, warmStart.LabelScale) : Standardization.FitLabel(train.Targets.AsSpan(0, train.Rows));
            Standardization.ApplyLabel(train.Targets.AsSpan(0, train.Rows), labelMean, labelScale);
            if (validation.Rows > 0) Standardization.ApplyLabel(validation.Targets.AsSpan(0, validation.Rows), labelMean, labelScale);
        }

        if (task != TaskKind.Regression && weighting != ClassWeighting.None)
        {
            int classes = task == TaskKind.Binary ? 2 : outputSize;
            var w = weighting == ClassWeighting.Balanced ? BalancedWeights(train, classes) : classWeights!;
            train = ApplyClassWeights(train, w);
            if (validation.Rows > 0) validation = ApplyClassWeights(validation, w);
        }

        if (skippedTrain > 0 || skippedValidation > 0)
        {
            using var data = host.Start("Data");
            data.Warning(MessageSensitivity.None, $"SkipRowsWithNonFiniteFeatures: skipped {skippedTrain} training rows" +
                (validationData is not null ? $" and {skippedValidation} validation rows" : "") +
                $" whose feature column '{options.FeatureColumnName}' holds NaN or infinite values; {all.Rows} training rows kept.");
        }
        return Fit(env, host, options, task, d, outputSize, loss, labelSmoothing, huberDelta, warmStart, seed,
            train, validation.Rows > 0 ? validation : null, transform, labelMean, labelScale, dataNote: "in memory");
    }

    /// <summary>Everything after the data is ready: spec, network (or warm start), settings, the run, the model.</summary>
    private static MlpModelParameters Fit(IHostEnvironment env, IHost host, MlpOptionsBase options, TaskKind task, int d, int outputSize,
        LossKind loss, float labelSmoothing, float huberDelta, MlpModelParameters? warmStart, long seed,
        ITrainingRows train, ITrainingRows? validation, FeatureTransform transform, float labelMean, float labelScale, string dataNote)
    {
        var spec = new NetworkSpec
        {
            InputSize = d,
            HiddenLayers = [.. options.HiddenLayers],
            Activation = options.Activation,
            LeakySlope = options.LeakyReluSlope,
            BatchNorm = options.BatchNorm,
            Dropout = options.Dropout,
            OutputSize = outputSize,
            Loss = loss,
            WeightInit = options.WeightInit,
            Parametrization = options.Parametrization,
            InputScaling = options.LearnFeatureScales,
            LabelSmoothing = labelSmoothing,
            HuberDelta = huberDelta,
        };
        Network network;
        if (warmStart is not null)
        {
            // The options' spec (dropout, label smoothing, Huber δ, leaky slope may change), the warm-start model's values.
            CheckCompatible(warmStart.Spec, spec);
            network = new Network(spec, seed);
            network.LoadState(warmStart.Network.StateBuffers());
        }
        else network = new Network(spec, seed);

        using var ch = host.Start("Training");
        ch.Info(MessageSensitivity.None, $"MLP {task}: {train.Rows} training rows, {validation?.Rows ?? 0} validation rows ({dataNote}), {d} features → [{string.Join(", ", spec.HiddenLayers)}] → {outputSize}; {network.ParameterCount} parameters; optimizer {options.Optimizer}; seed {seed}.");
        var progress = new LogProgress(ch, options.Progress);
        var settings = new TrainingSettings
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            Optimizer = options.Optimizer,
            L2 = options.L2,
            Seed = seed,
            Schedule = options.Schedule,
            GradientClipNorm = options.GradientClipNorm,
            EarlyStopping = options.EarlyStopping,
            Progress = progress,
            CancellationToken = options.CancellationToken,
            CheckAlive = () => CheckNotCanceled(env),
            CheckpointPath = options.CheckpointPath,
            CheckpointEvery = options.CheckpointEvery,
            ShuffleBlockRows = options.ShuffleBlockRows,
        };
        TrainingHistory history;
        using (Kernels.UseThreads(options.NumberOfThreads))
        {
            var trainer = options.ResumeFromCheckpoint && File.Exists(options.CheckpointPath)
                ? NetworkTrainer.Resume(network, settings, options.CheckpointPath!)
                : new NetworkTrainer(network, settings);
            history = trainer.Train(train, validation);
        }
        ch.Info(MessageSensitivity.None, history.StopReason);
        return new MlpModelParameters(network, transform, labelMean, labelScale, history);
    }

    /// <summary>Rows per shuffle block when streaming and <see cref="MlpOptionsBase.ShuffleBlockRows"/> is null. Small, because the block size does not change a streamed epoch's cost (see <see cref="StreamedRows"/>), only how well it mixes.</summary>
    internal const int DefaultStreamBlockRows = 64;

    /// <summary>
    /// Null to read the data into memory; else the rows the streaming window may hold. Streams when
    /// <see cref="MlpOptionsBase.MemoryBudgetMegabytes"/> is set and rows × (features + 2) × 4 bytes (features,
    /// target, weight as float) exceeds it; the rows come from <c>GetRowCount</c> or a counting pass.
    /// </summary>
    internal static int? StreamingWindowRows(MlpOptionsBase options, IDataView data, TrainingDataReader.Columns columns)
    {
        if (options.MemoryBudgetMegabytes is not { } mb) return null;
        long budget = mb * 1024L * 1024L, bytesPerRow = (columns.FeatureCount + 2) * 4L;
        long rows = data.GetRowCount() ?? CountRows(data, options.CancellationToken);
        if (rows * bytesPerRow <= budget) return null;
        return (int)Math.Clamp(budget / bytesPerRow, 1, Array.MaxLength / Math.Max(1, columns.FeatureCount));
    }

    private static long CountRows(IDataView data, CancellationToken cancellation)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) if ((++n & 0xFFFF) == 0) cancellation.ThrowIfCancellationRequested();
        return n;
    }

    /// <summary>
    /// Training without loading the data: a first pass (two with standardisation) counts the rows and classes
    /// and fits the feature and label statistics exactly as the in-memory path does; then every epoch streams
    /// mini-batches through a window of <paramref name="windowRows"/> rows (<see cref="StreamedRows"/>).
    /// A <see cref="MlpOptionsBase.ValidationFraction"/> holds out a seeded hash of the row index
    /// (<see cref="DataViewRows"/>); validation data is streamed too, in storage order.
    /// </summary>
    private static MlpModelParameters TrainStreamed(IHostEnvironment env, IHost host, MlpOptionsBase options, TaskKind task,
        IDataView trainData, IDataView? validationData, MlpModelParameters? warmStart, TrainingDataReader.Columns columns, int windowRows, long seed,
        int outputSize, LossKind loss, float labelSmoothing, float huberDelta, float[]? classWeights, ClassWeighting weighting)
    {
        int d = columns.FeatureCount;
        var ct = options.CancellationToken;
        if (warmStart is not null) CheckWarmStartInput(warmStart, d, options);
        DataViewRows train;
        DataViewRows? validation = null;
        if (validationData is not null)
        {
            train = new DataViewRows(trainData, columns, task, null, ct);
            validation = new DataViewRows(validationData, CheckValidationSchema(validationData, columns, task, options), task, null, ct);
        }
        else if (options.ValidationFraction > 0)
        {
            train = new DataViewRows(trainData, columns, task, (seed, options.ValidationFraction, false), ct);
            validation = new DataViewRows(trainData, columns, task, (seed, options.ValidationFraction, true), ct);
        }
        else train = new DataViewRows(trainData, columns, task, null, ct);
        foreach (var part in validation is null ? [train] : new[] { train, validation }) part.SkipRowsWithNonFiniteFeatures = options.SkipRowsWithNonFiniteFeatures;

        var stats = train.Scan(fitFeatures: warmStart is null ? options.FeatureNormalization : FeatureNormalization.None,
            fitLabel: warmStart is null && task == TaskKind.Regression, classes: task == TaskKind.Regression ? 0 : Math.Max(outputSize, 2));
        if (validation is not null) validation.Count();
        if (DataViewRows.SkippedRowsWarning(train, validation, separateValidation: validationData is not null) is { } skippedNote)
        {
            using var data = host.Start("Data");
            data.Warning(MessageSensitivity.None, skippedNote);
        }
        // Explicit validation data must have rows, as in memory; a fraction-based split of tiny data may come out empty.
        if (validationData is not null && validation is not null && validation.Rows == 0)
            throw new InvalidOperationException($"The validation data has no {(validation.Skipped > 0 ? "usable " : "")}rows (feature column '{columns.Features.Name}').");
        if (validation is not null && validation.Rows == 0) validation = null;
        if (stats.ClassCounts is { } counts) CheckClasses(counts, options.LabelColumnName);

        var transform = warmStart is not null ? warmStart.Features : stats.Features ?? FeatureTransform.Identity(d);
        var (labelMean, labelScale) = task != TaskKind.Regression ? (0f, 1f)
            : warmStart is not null ? (warmStart.LabelMean, warmStart.LabelScale) : stats.Label!.Value;
        float[]? perClass = task != TaskKind.Regression && weighting != ClassWeighting.None
            ? (weighting == ClassWeighting.Balanced ? BalancedWeights(stats.ClassCounts!, stats.Rows) : classWeights!)
            : null;
        foreach (var part in validation is null ? [train] : new[] { train, validation })
        {
            part.Transform = transform;
            if (task == TaskKind.Regression) part.LabelScaling = (labelMean, labelScale);
            part.ClassWeights = perClass;
        }

        var rows = new StreamedRows(train, windowRows, options.ShuffleBlockRows ?? Math.Min(DefaultStreamBlockRows, windowRows));
        string note = $"streamed: a window of {rows.WindowRows} rows for a {options.MemoryBudgetMegabytes} MB budget, blocks of {options.ShuffleBlockRows ?? rows.BlockRows} rows, " +
                      $"{rows.PassesPerEpoch(options.ShuffleBlockRows)} passes over the data per epoch";
        return Fit(env, host, options, task, d, outputSize, loss, labelSmoothing, huberDelta, warmStart, seed,
            rows, validation is null ? null : new StreamedRows(validation, windowRows, rows.BlockRows), transform, labelMean, labelScale, note);
    }

    private static TrainingDataReader.Columns CheckValidationSchema(IDataView validationData, TrainingDataReader.Columns columns, TaskKind task, MlpOptionsBase options)
    {
        var vColumns = TrainingDataReader.CheckSchema(validationData.Schema, task, options.FeatureColumnName, options.LabelColumnName, options.ExampleWeightColumnName);
        if (vColumns.FeatureCount != columns.FeatureCount)
            throw new ArgumentException($"Validation feature column '{options.FeatureColumnName}' has {vColumns.FeatureCount} slots; the training data has {columns.FeatureCount}.", nameof(validationData));
        if (task == TaskKind.Multiclass)
        {
            string label = options.LabelColumnName;
            if (vColumns.ClassCount != columns.ClassCount)
                throw new ArgumentException($"Validation label column '{label}' has {vColumns.ClassCount} classes (key values); the training label has {columns.ClassCount}. " +
                    "Map both with the same fitted MapValueToKey.", nameof(validationData));
            var trainKeys = LabelKeyValues.FromColumn(columns.Label!.Value, columns.ClassCount);
            var validationKeys = LabelKeyValues.FromColumn(vColumns.Label!.Value, vColumns.ClassCount);
            if (trainKeys is not null && validationKeys is not null && trainKeys.FirstDifference(validationKeys) is { } diff)
                throw new ArgumentException($"Validation label column '{label}' has different key values from the training label: key {diff.Key} is '{diff.Other}' in the validation data and '{diff.Mine}' in the training data. " +
                    "Map both with the same fitted MapValueToKey.", nameof(validationData));
        }
        return vColumns;
    }

    /// <summary>The public name of the warm-start parameter (<c>Fit(trainData, modelParameters)</c>), for exceptions.</summary>
    private const string ModelParametersName = "modelParameters";

    private static void CheckWarmStartInput(MlpModelParameters warmStart, int d, MlpOptionsBase options)
    {
        if (warmStart.InputSize != d)
            throw new ArgumentException($"The warm-start model expects {warmStart.InputSize} features; feature column '{options.FeatureColumnName}' has {d}.", ModelParametersName);
    }

    /// <summary>Honours <c>MLContext.CancelExecution()</c>, as ML.NET's own trainers do, at every batch boundary.</summary>
    private static void CheckNotCanceled(IHostEnvironment env)
    {
        if (MLNetBackprop.Internals.MLNetBridge.IsCanceled(env))
            throw new OperationCanceledException("Training was canceled through MLContext.CancelExecution().");
    }

    private sealed class LogProgress(IChannel channel, IProgress<EpochReport>? user) : IProgress<EpochReport>
    {
        public void Report(EpochReport r)
        {
            channel.Info(MessageSensitivity.None, $"Epoch {r.Epoch}: train loss {r.TrainLoss:G5}" +
                (r.ValidationLoss is { } v ? $", validation loss {v:G5}" : "") +
                (r.ValidationMetric is { } m ? $", metric {m:G5}" : "") + $", lr {r.LearningRate:G3}, {r.Elapsed.TotalSeconds:F2}s");
            user?.Report(r);
        }
    }

    /// <summary>Seeded shuffle, then the validation fraction taken per class (stratified) or overall.</summary>
    internal static (Dataset Train, Dataset Validation) Split(Dataset all, float fraction, bool stratified, long seed)
    {
        if (fraction <= 0) return (all, all.Subset([]));
        var order = Enumerable.Range(0, all.Rows).ToArray();
        new CounterRandom(seed, (long)RandomPurpose.Split).Shuffle(order);
        var val = new List<int>();
        var tr = new List<int>();
        if (stratified)
        {
            foreach (var group in order.GroupBy(r => all.Targets[r]))
            {
                var rows = group.ToArray();
                int take = (int)Math.Round(rows.Length * fraction);
                if (rows.Length >= 2) take = Math.Clamp(take, 1, rows.Length - 1);
                else take = 0;
                val.AddRange(rows.Take(take));
                tr.AddRange(rows.Skip(take));
            }
            // Keep the shuffled order within each part.
            var position = new int[all.Rows];
            for (int i = 0; i < order.Length; i++) position[order[i]] = i;
            val.Sort((a, b) => position[a].CompareTo(position[b]));
            tr.Sort((a, b) => position[a].CompareTo(position[b]));
        }
        else
        {
            int take = Math.Clamp((int)Math.Round(all.Rows * fraction), 1, Math.Max(1, all.Rows - 1));
            val.AddRange(order.Take(take));
            tr.AddRange(order.Skip(take));
        }
        if (tr.Count == 0) throw new InvalidOperationException("ValidationFraction leaves no training rows.");
        return (all.Subset(tr.ToArray()), all.Subset(val.ToArray()));
    }

    private static void CheckClasses(Dataset train, int classes, string labelColumn) => CheckClasses(ClassCounts(train, classes), labelColumn);

    private static void CheckClasses(long[] counts, string labelColumn)
    {
        if (counts.Count(c => c > 0) < 2)
            throw new InvalidOperationException($"Label column '{labelColumn}' has a single class in the training data ({Array.FindIndex(counts, c => c > 0)}); a classifier needs at least two.");
    }

    /// <summary>Rows per class; a binary task (one output) has two classes.</summary>
    private static long[] ClassCounts(Dataset train, int classes)
    {
        var counts = new long[Math.Max(classes, 2)];
        for (int i = 0; i < train.Rows; i++) counts[(int)train.Targets[i]]++;
        return counts;
    }

    private static float[] BalancedWeights(Dataset train, int classes) => BalancedWeights(ClassCounts(train, classes), train.Rows);

    private static float[] BalancedWeights(long[] counts, long rows)
    {
        int classes = counts.Length;
        var w = new float[classes];
        for (int c = 0; c < classes; c++) w[c] = counts[c] == 0 ? 0f : (float)(rows / (classes * (double)counts[c]));
        return w;
    }

    private static Dataset ApplyClassWeights(Dataset data, float[] classWeights)
    {
        var w = new float[data.Rows];
        for (int i = 0; i < data.Rows; i++)
            w[i] = classWeights[(int)data.Targets[i]] * (data.Weights?[i] ?? 1f);
        return new Dataset(data.Features, data.Targets, data.TargetWidth, w);
    }

    private static void CheckCompatible(NetworkSpec trained, NetworkSpec wanted)
    {
        if (trained.InputSize != wanted.InputSize || trained.OutputSize != wanted.OutputSize || !trained.HiddenLayers.SequenceEqual(wanted.HiddenLayers)
            || trained.Activation != wanted.Activation || trained.BatchNorm != wanted.BatchNorm || trained.Loss != wanted.Loss
            || trained.Parametrization != wanted.Parametrization || trained.InputScaling != wanted.InputScaling)
            throw new ArgumentException($"The warm-start model's architecture ({trained.InputSize} → [{string.Join(", ", trained.HiddenLayers)}] → {trained.OutputSize}, {trained.Activation}, BatchNorm {trained.BatchNorm}, {trained.Loss}, {trained.Parametrization}, feature scales {trained.InputScaling}) differs from the options' ({wanted.InputSize} → [{string.Join(", ", wanted.HiddenLayers)}] → {wanted.OutputSize}, {wanted.Activation}, BatchNorm {wanted.BatchNorm}, {wanted.Loss}, {wanted.Parametrization}, feature scales {wanted.InputScaling}).", ModelParametersName);
    }
}
