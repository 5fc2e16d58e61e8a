using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// What the three MLP estimators share at Fit: data → engine rows (feature normalisation, label scaling, class
/// weights, each network's validation rows), options → network spec, the training of each network of the ensemble,
/// and the resulting <see cref="MlpModelParameters"/>. The data is read into memory, or — when it would exceed
/// <see cref="MlpOptionsBase.MemoryBudgetMegabytes"/> — streamed from the view (<see cref="TrainStreamed"/>).
/// </summary>
internal static class MlpTrainingCore
{
    /// <summary>Trains on <paramref name="trainData"/>, whose schema the caller has checked into <paramref name="columns"/>.</summary>
    public static MlpModelParameters Train(IHostEnvironment env, MlpOptionsBase options, TaskPlan plan,
        IDataView trainData, TrainingDataReader.Columns columns, IDataView? validationData, MlpModelParameters? warmStart)
    {
        options.Validate();
        var host = env.Register("Mlp" + plan.Task);
        var run = new Run(env, host, options, plan, options.Seed ?? host.Rand.Next(), warmStart, columns.FeatureCount);
        if (warmStart is not null) run.CheckWarmStart();
        if (StreamingWindowRows(options, trainData, columns) is { } windowRows)
            return TrainStreamed(run, trainData, validationData, columns, windowRows);
        return TrainInMemory(run, trainData, validationData, columns);
    }

    /// <summary>Everything one Fit shares: the host, the options, the task's plan, the seed, the warm-start model, the feature count.</summary>
    private sealed record Run(IHostEnvironment Env, IHost Host, MlpOptionsBase Options, TaskPlan Plan, long Seed, MlpModelParameters? WarmStart, int Features)
    {
        /// <summary>The features given periodic embeddings (found in the data at Fit, or the warm-start model's).</summary>
        public int[] Embedded { get; init; } = [];

        public int EnsembleSize => Options.EnsembleSize;

        /// <summary>Member m's seed: the run's seed for the first member (so a single network trains as it always did), a derived one for the others.</summary>
        public long MemberSeed(int member) => member == 0 ? Seed : (long)new CounterRandom(Seed, (long)RandomPurpose.Ensemble, member).NextUInt64();

        public void CheckWarmStart()
        {
            var warm = WarmStart!;
            if (warm.InputSize != Features)
                throw new ArgumentException($"The warm-start model expects {warm.InputSize} features; feature column '{Options.FeatureColumnName}' has {Features}.", ModelParametersName);
            if (warm.EnsembleSize != EnsembleSize)
                throw new ArgumentException($"The warm-start model is an ensemble of {warm.EnsembleSize} network(s); EnsembleSize is {EnsembleSize}. Set EnsembleSize = {warm.EnsembleSize} to continue training it.", ModelParametersName);
        }
    }

    /// <summary>One network's data: its training rows, if any its validation rows, and how the rows are read (for the log).</summary>
    private sealed record MemberData(ITrainingRows Train, ITrainingRows? Validation, string Note);

    private static MlpModelParameters TrainInMemory(Run run, IDataView trainData, IDataView? validationData, TrainingDataReader.Columns columns)
    {
        var (options, plan) = (run.Options, run.Plan);
        var all = TrainingDataReader.Read(trainData, columns, plan.Task, options.SkipRowsWithNonFiniteFeatures, out long skippedTrain, options.CancellationToken);
        long skippedValidation = 0;
        Dataset? validation = null;
        if (validationData is not null)
        {
            var vColumns = CheckValidationSchema(validationData, columns, plan.Task, options);
            validation = TrainingDataReader.Read(validationData, vColumns, plan.Task, options.SkipRowsWithNonFiniteFeatures, out skippedValidation, options.CancellationToken, role: "validation");
        }
        if (plan.IsClassification) CheckClasses(ClassCounts(all, plan.Classes), options.LabelColumnName);
        WarnIfFewRows(run, all.Rows);

        // Feature normalisation and label scaling from all training rows (validation folds included: they carry no
        // label information into these statistics); a warm start keeps the original ones.
        bool embed = options.NumericEmbedding == NumericEmbedding.Periodic;
        var sample = run.WarmStart is null && (options.FeatureNormalization == FeatureNormalization.Robust || embed) ? RobustScaling.TakeSample(all.Features) : null;
        var transform = run.WarmStart?.Features ?? options.FeatureNormalization switch
        {
            FeatureNormalization.Standard => Standardization.Fit(all.Features),
            FeatureNormalization.Robust => sample!.Fit(),
            _ => FeatureTransform.Identity(run.Features),
        };
        run = run with { Embedded = run.WarmStart?.Spec.EmbeddedFeatures ?? (embed ? EmbeddedFeatures(run, sample!.NumericFeatures()) : []) };
        transform.ApplyInPlace(all.Features);
        if (validation is not null) transform.ApplyInPlace(validation.Features);

        float labelMean = 0, labelScale = 1;
        if (plan.Task == TaskKind.Regression)
        {
            (labelMean, labelScale) = run.WarmStart is { } warm ? (warm.LabelMean, warm.LabelScale) : Standardization.FitLabel(all.Targets.AsSpan(0, all.Rows));
            Standardization.ApplyLabel(all.Targets.AsSpan(0, all.Rows), labelMean, labelScale);
            if (validation is not null) Standardization.ApplyLabel(validation.Targets.AsSpan(0, validation.Rows), labelMean, labelScale);
        }

        if (plan.IsClassification && plan.Weighting != ClassWeighting.None)
        {
            var w = plan.Weighting == ClassWeighting.Balanced ? BalancedWeights(ClassCounts(all, plan.Classes), all.Rows) : plan.ClassWeights!;
            all = ApplyClassWeights(all, w);
            if (validation is not null) validation = ApplyClassWeights(validation, w);
        }

        if (skippedTrain > 0 || skippedValidation > 0)
        {
            using var data = run.Host.Start("Data");
            data.Warning(MessageSensitivity.None, $"SkipRowsWithNonFiniteFeatures: skipped {skippedTrain} training rows" +
                (validationData is not null ? $" and {skippedValidation} validation rows" : "") +
                $" whose feature column '{options.FeatureColumnName}' holds NaN or infinite values; {all.Rows} training rows kept.");
        }

        int k = run.EnsembleSize;
        MemberData Member(int m)
        {
            if (validation is not null || options.ValidationFraction <= 0) return new MemberData(all, validation is { Rows: > 0 } ? validation : null, InMemory);
            var (tr, va) = k == 1
                ? ValidationSplit.Holdout(all.Targets, all.Rows, options.ValidationFraction, plan.IsClassification, run.Seed)
                : ValidationSplit.Fold(all.Targets, all.Rows, options.ValidationFraction, plan.IsClassification, run.Seed, m);
            return new MemberData(all.View(tr), va.Length > 0 ? all.View(va) : null, InMemory);
        }
        return FitMembers(run, Member, transform, labelMean, labelScale, parallel: true);
    }

    /// <summary>Below this many training rows Fit warns (<see cref="FewRowsWarning"/>); classification also wants 2 rows per class.</summary>
    internal const int FewRows = 10;

    /// <summary>
    /// The warning for a training set too small for its result to mean much — fewer than <see cref="FewRows"/> rows, or
    /// for classification fewer than 2 per class (key values of a multiclass label) — or null. Training still goes ahead:
    /// a tiny set is legitimate in a test or a demo, but in an app it is usually a mistake (a filter that kept too little,
    /// a wrong file).
    /// </summary>
    internal static string? FewRowsWarning(long rows, TaskPlan plan, MlpOptionsBase options)
    {
        long wanted = Math.Max(FewRows, 2L * plan.Classes);
        if (rows >= wanted) return null;
        string rule = plan.IsClassification ? $"at least {FewRows} rows and 2 per class ({plan.Classes} classes)" : $"at least {FewRows} rows";
        string ensemble = options.EnsembleSize > 1 && options.ValidationFraction > 0
            ? $"; each of the {options.EnsembleSize} networks trains on about {1 - options.ValidationFraction:P0} of them" : "";
        return $"Only {rows} training row{(rows == 1 ? "" : "s")} (feature column '{options.FeatureColumnName}', label column '{options.LabelColumnName}'), " +
               $"fewer than the {wanted} wanted ({rule}){ensemble}: the network can only memorise so few rows, and its scores and metrics mean little. " +
               "Train on more data, or prefer a simpler model (HiddenLayers = [] is a linear model).";
    }

    private static void WarnIfFewRows(Run run, long rows)
    {
        if (FewRowsWarning(rows, run.Plan, run.Options) is not { } warning) return;
        using var ch = run.Host.Start("Data");
        ch.Warning(MessageSensitivity.None, warning);
    }

    /// <summary>
    /// The numeric features periodic embeddings are given: all of them, up to <see cref="MlpOptionsBase.MaxEmbeddedFeatures"/>;
    /// beyond it (text features, pixels…) none, with a log message — they would multiply the first layer's inputs by 4.
    /// </summary>
    private static int[] EmbeddedFeatures(Run run, int[] numeric)
    {
        if (numeric.Length <= MlpOptionsBase.MaxEmbeddedFeatures) return numeric;
        using var ch = run.Host.Start("Data");
        ch.Info(MessageSensitivity.None, $"NumericEmbedding: {numeric.Length} numeric features exceed {MlpOptionsBase.MaxEmbeddedFeatures}; periodic embeddings are not used " +
            "(they would multiply the first layer's inputs by 4). Set NumericEmbedding = None to silence this.");
        return [];
    }

    /// <summary>
    /// Trains every member (in parallel when asked and there are cores to spare) and assembles the model. Each member's
    /// data is made just before it trains and dropped after, so streamed members hold one window at a time.
    /// </summary>
    private static MlpModelParameters FitMembers(Run run, Func<int, MemberData> members, FeatureTransform transform, float labelMean, float labelScale, bool parallel)
    {
        int k = run.EnsembleSize;
        var networks = new Network[k];
        var histories = new TrainingHistory[k];
        int threads = run.Options.NumberOfThreads ?? Kernels.MaxThreads;
        int workers = parallel ? Math.Clamp(Math.Min(k, threads), 1, k) : 1;
        if (workers == 1)
        {
            using (Kernels.UseThreads(run.Options.NumberOfThreads))
                for (int m = 0; m < k; m++) (networks[m], histories[m]) = FitMember(run, m, members(m), stop: null);
        }
        else
        {
            // Members are independent: each worker trains whole members with its share of the threads, so a small
            // network's products need no cross-core synchronisation. A failure stops the other members at their next batch.
            int perWorker = Math.Max(1, threads / workers), next = -1;
            var failure = new StrongBox<ExceptionDispatchInfo?>();
            var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() =>
            {
                using var scope = Kernels.UseThreads(perWorker);
                for (int m; (m = Interlocked.Increment(ref next)) < k && Volatile.Read(ref failure.Value) is null;)
                {
                    try
                    {
                        (networks[m], histories[m]) = FitMember(run, m, members(m), failure);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref failure.Value, ExceptionDispatchInfo.Capture(e), null);
                    }
                }
            })).ToArray();
            Task.WaitAll(tasks);
            failure.Value?.Throw();
        }
        return new MlpModelParameters(networks, transform, labelMean, labelScale, histories);
    }

    private const string InMemory = "in memory";

    /// <summary>A holder another member's failure is published in.</summary>
    private sealed class StrongBox<T>
    {
        public T Value = default!;
    }

    /// <summary>Everything after one member's data is ready: spec, network (or warm start), settings, the run.</summary>
    private static (Network, TrainingHistory) FitMember(Run run, int member, MemberData data, StrongBox<ExceptionDispatchInfo?>? stop)
    {
        var (options, plan) = (run.Options, run.Plan);
        var spec = options.ToSpec(run.Features, plan, run.Embedded);
        long seed = run.MemberSeed(member);
        try
        {
            spec.Validate();
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName is nameof(NetworkSpec.HiddenLayers) or nameof(NetworkSpec.OutputSize))
        {
            throw new ArgumentOutOfRangeException(e.ParamName == nameof(NetworkSpec.OutputSize) ? options.LabelColumnName : nameof(MlpOptionsBase.HiddenLayers), e.ActualValue,
                $"{e.Message.Split(" (Parameter")[0]} (feature column '{options.FeatureColumnName}' has {run.Features} slots).");
        }
        CheckMemory(run, spec);
        var network = new Network(spec, seed);
        if (run.WarmStart is { } warm)
        {
            // The options' spec (dropout, label smoothing, Huber δ, leaky slope may change), the warm-start model's values.
            CheckCompatible(warm.Spec, spec);
            network.LoadState(warm.Members[member].StateBuffers());
        }

        int k = run.EnsembleSize;
        string who = k == 1 ? $"MLP {plan.Task}" : $"MLP {plan.Task} member {member + 1}/{k}";
        using var ch = run.Host.Start(k == 1 ? "Training" : $"Training member {member + 1}");
        int epochs = options.EpochsFor(data.Train.Rows);
        ch.Info(MessageSensitivity.None, $"{who}: {data.Train.Rows} training rows, {data.Validation?.Rows ?? 0} validation rows ({data.Note}), {run.Features} features → [{string.Join(", ", spec.HiddenLayers)}] → {plan.OutputSize}; {network.ParameterCount} parameters; optimizer {options.Optimizer}; {epochs} epochs{(options.Epochs is null ? " (automatic)" : "")}; seed {seed}.");
        string? checkpoint = options.CheckpointPath is null ? null : k == 1 ? options.CheckpointPath : $"{options.CheckpointPath}.member{member + 1}";
        var settings = new TrainingSettings
        {
            Epochs = epochs,
            BatchSize = options.BatchSize,
            Optimizer = options.Optimizer,
            L2 = options.L2,
            Seed = seed,
            Schedule = options.Schedule,
            GradientClipNorm = options.GradientClipNorm,
            EarlyStopping = options.EarlyStopping,
            Progress = new LogProgress(ch, options.Progress, member),
            CancellationToken = options.CancellationToken,
            CheckAlive = () =>
            {
                CheckNotCanceled(run.Env);
                if (stop is not null && Volatile.Read(ref stop.Value) is not null)
                    throw new OperationCanceledException("Another member of the ensemble failed.");
            },
            CheckpointPath = checkpoint,
            CheckpointEvery = options.CheckpointEvery,
            ShuffleBlockRows = options.ShuffleBlockRows,
        };
        NetworkTrainer trainer;
        if (options.ResumeFromCheckpoint && File.Exists(checkpoint))
        {
            var saved = TrainingCheckpoint.Load(checkpoint);
            if (SpecDifference(saved.Spec, spec, options) is { } difference)
                throw new ArgumentException($"Cannot resume from checkpoint '{checkpoint}': {difference.Message} Start afresh (ResumeFromCheckpoint = false) or use the run's options.", difference.Option);
            trainer = NetworkTrainer.Resume(network, settings, saved);
        }
        else trainer = new NetworkTrainer(network, settings);
        TrainingHistory history;
        try
        {
            history = trainer.Train(data.Train, data.Validation);
        }
        catch (TrainingDivergedException e) when (OverflowingFeature(data.Train, options) is { } cause)
        {
            throw new TrainingDivergedException(e.Epoch, e.Loss, cause);
        }
        ch.Info(MessageSensitivity.None, $"{who}: {history.StopReason}");
        return (network, history);
    }

    /// <summary>
    /// Why training diverged when the learning rate is not to blame: a feature, as the network sees it, so large that
    /// float sums of its products overflow (|x| ≥ 10¹⁸: its square is already beyond float). Null when no feature is.
    /// Only rows in memory are searched (a diverged streamed run keeps the generic message).
    /// </summary>
    private static string? OverflowingFeature(ITrainingRows rows, MlpOptionsBase options)
    {
        const float Overflowing = 1e18f;
        if (rows is not Dataset data) return null;
        int slot = -1;
        float largest = 0;
        for (int i = 0; i < data.Rows; i++)
        {
            var row = data.Features.Row(i);
            for (int j = 0; j < row.Length; j++)
                if (MathF.Abs(row[j]) > largest) { largest = MathF.Abs(row[j]); slot = j; }
        }
        if (largest < Overflowing) return null;
        return $"feature column '{options.FeatureColumnName}' slot {slot} reaches {largest.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)} " +
            $"as the network sees it (FeatureNormalization {options.FeatureNormalization}), so the network's float sums overflow — this is not " +
            "a learning-rate problem. Normalise the features (FeatureNormalization.Robust or Standard) or rescale that slot.";
    }

    /// <summary>
    /// Refuses, before anything is allocated, a network whose training state — parameters, gradients, the optimizer's
    /// slots and the best-epoch copy, for every network training at once — would not fit the memory this process may use.
    /// </summary>
    private static void CheckMemory(Run run, NetworkSpec spec)
    {
        long values = spec.StateValueCount();
        int parallel = Math.Max(1, Math.Min(run.EnsembleSize, run.Options.NumberOfThreads ?? Kernels.MaxThreads));
        double bytes = values * 4.0 * (3 + 3) * parallel; // value, gradient, best copy + up to 3 optimizer slots
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes <= available) return;
        string need = $"training {parallel} at a time needs about {bytes / (1 << 30):F1} GB for their values, gradients and optimizer state, " +
                      $"more than the {available / (double)(1 << 30):F1} GB this process may use.";
        // Name what dominates: a label with millions of classes makes the output layer the giant, not the hidden ones.
        long lastWidth = spec.HiddenLayers.Length > 0 ? spec.HiddenLayers[^1] : spec.InputSize;
        if ((lastWidth + 1L) * spec.OutputSize * 2 > values)
            throw new ArgumentOutOfRangeException(run.Options.LabelColumnName, spec.OutputSize,
                $"Label column '{run.Options.LabelColumnName}' has {spec.OutputSize:N0} classes: the output layer alone holds {(lastWidth + 1L) * spec.OutputSize:N0} parameters per network; {need} " +
                "Group rare classes (or map the label to fewer keys) before training.");
        throw new ArgumentOutOfRangeException(nameof(MlpOptionsBase.HiddenLayers), $"[{string.Join(", ", spec.HiddenLayers)}]",
            $"HiddenLayers [{string.Join(", ", spec.HiddenLayers)}] on {run.Features} features gives {values:N0} parameters per network; {need} " +
            "Use narrower HiddenLayers (or a smaller EnsembleSize or NumberOfThreads).");
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
    /// Training without loading the data: a first pass (two with normalisation) counts the rows and classes and fits the
    /// feature and label statistics exactly as the in-memory path does; then every epoch streams mini-batches through a
    /// window of <paramref name="windowRows"/> rows (<see cref="StreamedRows"/>). A <see cref="MlpOptionsBase.ValidationFraction"/>
    /// holds out a seeded hash of the row index (<see cref="DataViewRows"/>; an ensemble's members hold out the hash's
    /// folds in turn); validation data is streamed too, in storage order. Members train one after the other.
    /// </summary>
    private static MlpModelParameters TrainStreamed(Run run, IDataView trainData, IDataView? validationData, TrainingDataReader.Columns columns, int windowRows)
    {
        var (options, plan) = (run.Options, run.Plan);
        int d = columns.FeatureCount, k = run.EnsembleSize;
        var ct = options.CancellationToken;
        TrainingDataReader.Columns? explicitColumns = validationData is null ? null : CheckValidationSchema(validationData, columns, plan.Task, options);
        bool split = validationData is null && options.ValidationFraction > 0;

        // The rows the statistics come from: a single network's training part (as in memory before ensembles), else all rows.
        var statsRows = new DataViewRows(trainData, columns, plan.Task, split && k == 1 ? HashSplit.Holdout(run.Seed, options.ValidationFraction, validation: false) : null, ct)
        {
            SkipRowsWithNonFiniteFeatures = options.SkipRowsWithNonFiniteFeatures,
        };
        bool embed = run.WarmStart is null && options.NumericEmbedding == NumericEmbedding.Periodic;
        var stats = statsRows.Scan(fitFeatures: run.WarmStart is null ? options.FeatureNormalization : FeatureNormalization.None,
            fitLabel: run.WarmStart is null && plan.Task == TaskKind.Regression, classes: plan.Classes, findNumeric: embed);
        run = run with { Embedded = run.WarmStart?.Spec.EmbeddedFeatures ?? (stats.NumericFeatures is { } numeric ? EmbeddedFeatures(run, numeric) : []) };
        if (stats.ClassCounts is { } counts) CheckClasses(counts, options.LabelColumnName);
        WarnIfFewRows(run, stats.Rows); // the rows scanned: a single network's training part when it holds out a fraction
        var transform = run.WarmStart?.Features ?? stats.Features ?? FeatureTransform.Identity(d);
        var (labelMean, labelScale) = plan.Task != TaskKind.Regression ? (0f, 1f)
            : run.WarmStart is { } warm ? (warm.LabelMean, warm.LabelScale) : stats.Label!.Value;
        float[]? perClass = plan.IsClassification && plan.Weighting != ClassWeighting.None
            ? (plan.Weighting == ClassWeighting.Balanced ? BalancedWeights(stats.ClassCounts!, stats.Rows) : plan.ClassWeights!)
            : null;

        DataViewRows Prepare(DataViewRows part)
        {
            part.Transform = transform;
            part.ClassWeights = perClass;
            if (plan.Task == TaskKind.Regression) part.LabelScaling = (labelMean, labelScale);
            return part;
        }

        DataViewRows Part(IDataView view, TrainingDataReader.Columns cols, HashSplit? hash) =>
            Prepare(new DataViewRows(view, cols, plan.Task, hash, ct) { SkipRowsWithNonFiniteFeatures = options.SkipRowsWithNonFiniteFeatures });

        MemberData Member(int m)
        {
            // A single network's training part is the part the statistics were scanned on (counted already).
            DataViewRows train;
            DataViewRows? validation = null;
            if (validationData is not null)
            {
                train = k == 1 ? Prepare(statsRows) : Part(trainData, columns, null);
                validation = Part(validationData, explicitColumns!.Value, null);
            }
            else if (split)
            {
                var hash = k == 1 ? HashSplit.Holdout(run.Seed, options.ValidationFraction, validation: false)
                    : HashSplit.Fold(run.Seed, ValidationSplit.FoldCount(options.ValidationFraction), m, validation: false);
                train = k == 1 ? Prepare(statsRows) : Part(trainData, columns, hash);
                validation = Part(trainData, columns, hash with { Validation = true });
            }
            else train = k == 1 ? Prepare(statsRows) : Part(trainData, columns, null);

            if (train != statsRows) train.Count();
            validation?.Count();
            if (m == 0 && DataViewRows.SkippedRowsWarning(train, validation, separateValidation: validationData is not null) is { } skippedNote)
            {
                using var data = run.Host.Start("Data");
                data.Warning(MessageSensitivity.None, skippedNote);
            }
            if (train.Rows == 0)
                throw new InvalidOperationException($"The training data has no usable rows for network {m + 1} (feature column '{columns.Features.Name}').");
            // Explicit validation data must have rows, as in memory; a fraction-based split of tiny data may come out empty.
            if (validationData is not null && validation is not null && validation.Rows == 0)
                throw new InvalidOperationException($"The validation data has no {(validation.Skipped > 0 ? "usable " : "")}rows (feature column '{columns.Features.Name}').");
            if (validation is not null && validation.Rows == 0) validation = null;

            var rows = new StreamedRows(train, windowRows, options.ShuffleBlockRows ?? Math.Min(DefaultStreamBlockRows, windowRows));
            string note = $"streamed: a window of {rows.WindowRows} rows for a {options.MemoryBudgetMegabytes} MB budget, blocks of {options.ShuffleBlockRows ?? rows.BlockRows} rows, " +
                   $"{rows.PassesPerEpoch(options.ShuffleBlockRows)} passes over the data per epoch";
            return new MemberData(rows, validation is null ? null : new StreamedRows(validation, windowRows, rows.BlockRows), note);
        }
        return FitMembers(run, Member, transform, labelMean, labelScale, parallel: false);
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

    /// <summary>Honours <c>MLContext.CancelExecution()</c>, as ML.NET's own trainers do, at every batch boundary.</summary>
    private static void CheckNotCanceled(IHostEnvironment env)
    {
        if (MLNetBackprop.Internals.MLNetBridge.IsCanceled(env))
            throw new OperationCanceledException("Training was canceled through MLContext.CancelExecution().");
    }

    /// <summary>
    /// Writes each epoch to the log and passes it on to the user's <see cref="IProgress{T}"/>, tagged with the member;
    /// members training in parallel report one at a time (the user's progress need not be thread-safe).
    /// </summary>
    private sealed class LogProgress(IChannel channel, IProgress<EpochReport>? user, int member) : IProgress<EpochReport>
    {
        private static readonly Lock UserLock = new();

        public void Report(EpochReport r)
        {
            channel.Info(MessageSensitivity.None, $"Epoch {r.Epoch}: train loss {r.TrainLoss:G5}" +
                (r.ValidationLoss is { } v ? $", validation loss {v:G5}" : "") +
                (r.ValidationMetric is { } m ? $", metric {m:G5}" : "") + $", lr {r.LearningRate:G3}, {r.Elapsed.TotalSeconds:F2}s");
            if (user is null) return;
            lock (UserLock) user.Report(member == 0 ? r : r with { Member = member });
        }
    }

    private static void CheckClasses(long[] counts, string labelColumn)
    {
        if (counts.Count(c => c > 0) < 2)
            throw new InvalidOperationException($"Label column '{labelColumn}' has a single class in the training data ({Array.FindIndex(counts, c => c > 0)}); a classifier needs at least two.");
    }

    /// <summary>Rows per class.</summary>
    private static long[] ClassCounts(Dataset data, int classes)
    {
        var counts = new long[classes];
        for (int i = 0; i < data.Rows; i++) counts[(int)data.Targets[i]]++;
        return counts;
    }

    /// <summary>n/(k·n_c) per class (0 for an absent class): every class weighs as much in total.</summary>
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

    /// <summary>The first field where a checkpoint's network differs from the one the options describe, named as the option.</summary>
    private static (string Option, string Message)? SpecDifference(NetworkSpec saved, NetworkSpec now, MlpOptionsBase options)
    {
        static string Show<T>(T v) => v switch { int[] a => $"[{string.Join(", ", a)}]", float[] f => $"[{string.Join(", ", f)}]", null => "none", _ => $"{v}" };
        (string, object?, object?)[] fields =
        [
            (options.FeatureColumnName, saved.InputSize, now.InputSize),
            (options.LabelColumnName, saved.OutputSize, now.OutputSize),
            (nameof(MlpOptionsBase.HiddenLayers), saved.HiddenLayers, now.HiddenLayers),
            (nameof(MlpOptionsBase.Activation), saved.Activation, now.Activation),
            (nameof(MlpOptionsBase.LeakyReluSlope), saved.LeakyReluSlope, now.LeakyReluSlope),
            (nameof(MlpOptionsBase.BatchNorm), saved.BatchNorm, now.BatchNorm),
            (nameof(MlpOptionsBase.Dropout), saved.Dropout, now.Dropout),
            (nameof(MlpOptionsBase.WeightInit), saved.WeightInit, now.WeightInit),
            (nameof(MlpOptionsBase.Parametrization), saved.Parametrization, now.Parametrization),
            (nameof(MlpOptionsBase.LearnFeatureScales), saved.InputScaling, now.InputScaling),
            (nameof(MlpOptionsBase.NumericEmbedding), saved.EmbeddedFeatures, now.EmbeddedFeatures),
            ("LabelSmoothing", saved.LabelSmoothing, now.LabelSmoothing),
            ("Loss", saved.Loss, now.Loss),
            ("HuberDelta", saved.HuberDelta, now.HuberDelta),
            ("ClassWeights", saved.ClassWeights, now.ClassWeights),
        ];
        foreach (var (option, a, b) in fields)
        {
            bool same = (a, b) switch
            {
                (int[] x, int[] y) => x.SequenceEqual(y),
                (float[] x, float[] y) => x.SequenceEqual(y),
                _ => Equals(a, b),
            };
            if (!same) return (option, $"{option} differs from the checkpointed run's: it was {Show(a)}, it is now {Show(b)}.");
        }
        return null;
    }

    private static void CheckCompatible(NetworkSpec trained, NetworkSpec wanted)
    {
        if (trained.InputSize != wanted.InputSize || trained.OutputSize != wanted.OutputSize || !trained.HiddenLayers.SequenceEqual(wanted.HiddenLayers)
            || trained.Activation != wanted.Activation || trained.BatchNorm != wanted.BatchNorm || trained.Loss != wanted.Loss
            || trained.Parametrization != wanted.Parametrization || trained.InputScaling != wanted.InputScaling
            || !trained.EmbeddedFeatures.SequenceEqual(wanted.EmbeddedFeatures))
            throw new ArgumentException($"The warm-start model's architecture ({Describe(trained)}) differs from the options' ({Describe(wanted)}).", ModelParametersName);
    }

    private static string Describe(NetworkSpec s) =>
        $"{s.InputSize} → [{string.Join(", ", s.HiddenLayers)}] → {s.OutputSize}, {s.Activation}, BatchNorm {s.BatchNorm}, {s.Loss}, {s.Parametrization}, feature scales {s.InputScaling}, {s.EmbeddedFeatures.Length} embedded features";
}
