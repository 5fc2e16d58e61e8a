namespace MLNetBackprop.Engine;

/// <summary>
/// A training run frozen at an epoch boundary: the network's spec and state buffers (weights and
/// BatchNorm running statistics), each BatchNorm's batch count, the optimizer's state (step count,
/// every slot buffer and scalar), the epochs completed, the learning-rate schedule's state, the
/// best-epoch snapshot, score and patience counter of early stopping, and the history so far.
/// <para>
/// Written by <see cref="NetworkTrainer"/> when <see cref="TrainingSettings.CheckpointPath"/> is set
/// and read back by <see cref="NetworkTrainer.Resume(Network, TrainingSettings, string)"/>. Because
/// every shuffle and dropout mask is keyed on (seed, epoch, batch), resuming after epoch k and
/// training to N epochs gives bit-identical weights to an uninterrupted N-epoch run with the same settings.
/// </para>
/// <para>
/// File format (version 2 — version 1 lacks the spec's parametrisation, input scaling and embeddings; little-endian, <see cref="System.IO.BinaryWriter"/> encodings): the 8 bytes
/// <c>MLNBPCKP</c>, the int32 format version, the int64 body length, the SHA-256 of the body, then the
/// body: spec, optimizer, network state, run state, history. Reads check the hash and the length of every
/// field and throw <see cref="InvalidDataException"/> naming the field that does not fit.
/// </para>
/// </summary>
public sealed class TrainingCheckpoint
{
    /// <summary>
    /// The format version this build writes (and the highest it reads). Version 1 lacks the spec's parametrisation, input
    /// scaling and embeddings; versions 1 and 2 lack the run's identity (<see cref="RunIdentity"/>), so resuming them
    /// cannot check that the settings and data are the same. Both are still read.
    /// </summary>
    public const int FormatVersion = 3;

    private TrainingCheckpoint(NetworkSpec spec, TrainingHistory history, int epochsCompleted)
    {
        Spec = spec;
        History = history;
        EpochsCompleted = epochsCompleted;
    }

    /// <summary>The architecture of the checkpointed network.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Epochs completed when the checkpoint was written.</summary>
    public int EpochsCompleted { get; }

    /// <summary>The reports of those epochs.</summary>
    public TrainingHistory History { get; }

    internal float[][] State { get; private init; } = [];
    internal long[] BatchesTracked { get; private init; } = [];
    internal string OptimizerName { get; private init; } = "";
    internal long OptimizerSteps { get; private init; }
    internal float[][][] OptimizerBuffers { get; private init; } = [];
    internal double[] OptimizerScalars { get; private init; } = [];
    internal double[] ScheduleState { get; private init; } = [];
    internal double BestScore { get; private init; } = double.NaN;
    internal int BestEpoch { get; private init; }
    internal int EpochsSinceBest { get; private init; }
    internal float[][]? BestState { get; private init; }

    /// <summary>What defined the run (settings, data fingerprint); null for a checkpoint written before version 3.</summary>
    internal RunIdentity? Identity { get; private init; }

    /// <summary>Reads and verifies a checkpoint file.</summary>
    /// <param name="path">The file written by a training run.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, of an unknown version, truncated or corrupted; the message names the field.</exception>
    public static TrainingCheckpoint Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (body, version) = CheckpointFile.Unframe(File.ReadAllBytes(path), FormatVersion);
        return Parse(body, version);
    }

    /// <summary>A new network with the checkpoint's spec and state (weights, running statistics, batch counts).</summary>
    public Network CreateNetwork()
    {
        var network = new Network(Spec, 0);
        RestoreNetwork(network);
        return network;
    }

    // ---- Capture and restore ------------------------------------------------------------------

    internal static TrainingCheckpoint Capture(Network network, OptimizerState optimizer, TrainingRun run, RunIdentity identity)
    {
        var history = new TrainingHistory();
        foreach (var report in run.History.Epochs) history.Add(report);
        return new TrainingCheckpoint(network.Spec, history, run.EpochsCompleted)
        {
            State = network.StateBuffers().Select(b => (float[])b.Clone()).ToArray(),
            BatchesTracked = BatchNorms(network).Select(bn => bn.BatchesTracked).ToArray(),
            OptimizerName = optimizer.Optimizer.Name,
            OptimizerSteps = optimizer.StepCount,
            OptimizerBuffers = optimizer.Slots.Select(s => s.Buffers.Select(b => (float[])b.Clone()).ToArray()).ToArray(),
            OptimizerScalars = optimizer.Slots.Select(s => s.Scalar).ToArray(),
            ScheduleState = run.Schedule.SaveState(),
            BestScore = run.BestScore,
            BestEpoch = run.BestEpoch,
            EpochsSinceBest = run.EpochsSinceBest,
            BestState = run.BestState?.Select(b => (float[])b.Clone()).ToArray(),
            Identity = identity,
        };
    }

    /// <summary>Loads the network state, after checking the spec is the checkpoint's.</summary>
    internal void RestoreNetwork(Network network)
    {
        if (!SameSpec(network.Spec, Spec))
            throw new ArgumentException("The network's spec differs from the checkpoint's; build it from TrainingCheckpoint.Spec (or use CreateNetwork).", nameof(network));
        network.LoadState(State);
        var bns = BatchNorms(network).ToArray();
        for (int i = 0; i < bns.Length; i++) bns[i].BatchesTracked = BatchesTracked[i];
    }

    /// <summary>Loads the optimizer state, after checking it is the same rule with the same slots.</summary>
    internal void RestoreOptimizer(OptimizerState optimizer)
    {
        if (optimizer.Optimizer.Name != OptimizerName)
            throw new ArgumentException($"The checkpoint was trained with '{OptimizerName}'; the settings use '{optimizer.Optimizer.Name}'.");
        if (optimizer.Slots.Length != OptimizerBuffers.Length)
            throw new ArgumentException($"The checkpoint has optimizer state for {OptimizerBuffers.Length} parameters; the network has {optimizer.Slots.Length}.");
        for (int p = 0; p < optimizer.Slots.Length; p++)
        {
            var slots = optimizer.Slots[p];
            if (slots.Buffers.Length != OptimizerBuffers[p].Length)
                throw new ArgumentException($"The checkpoint has {OptimizerBuffers[p].Length} optimizer buffers for parameter {p}; '{OptimizerName}' with these settings keeps {slots.Buffers.Length} (e.g. AMSGrad or momentum changed).");
            for (int b = 0; b < slots.Buffers.Length; b++)
            {
                if (slots.Buffers[b].Length != OptimizerBuffers[p][b].Length)
                    throw new ArgumentException($"Optimizer buffer {b} of parameter {p} has {OptimizerBuffers[p][b].Length} values in the checkpoint; expected {slots.Buffers[b].Length}.");
                OptimizerBuffers[p][b].CopyTo(slots.Buffers[b], 0);
            }
            slots.Scalar = OptimizerScalars[p];
        }
        optimizer.StepCount = OptimizerSteps;
    }

    /// <summary>The run state (history, schedule, best epoch) to continue from.</summary>
    internal TrainingRun CreateRun(LearningRateSchedule.Run schedule)
    {
        schedule.RestoreState(ScheduleState);
        var run = new TrainingRun(schedule)
        {
            EpochsCompleted = EpochsCompleted,
            BestScore = BestScore,
            BestEpoch = BestEpoch,
            EpochsSinceBest = EpochsSinceBest,
            BestState = BestState?.Select(b => (float[])b.Clone()).ToArray(),
        };
        foreach (var report in History.Epochs) run.History.Add(report);
        return run;
    }

    private static IEnumerable<BatchNormLayer> BatchNorms(Network network) => network.Layers.OfType<BatchNormLayer>();

    private static bool SameSpec(NetworkSpec a, NetworkSpec b)
    {
        var wa = new CheckpointWriter();
        WriteSpec(wa, a, FormatVersion);
        var wb = new CheckpointWriter();
        WriteSpec(wb, b, FormatVersion);
        return wa.ToArray().AsSpan().SequenceEqual(wb.ToArray());
    }

    // ---- Binary format ------------------------------------------------------------------------

    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically (temporary file, flush, move).</summary>
    internal void Save(string path) => CheckpointFile.WriteAtomically(path, CheckpointFile.Frame(Serialize(), FormatVersion));

    internal byte[] Serialize()
    {
        var w = new CheckpointWriter();
        WriteSpec(w, Spec, FormatVersion);

        w.Write(OptimizerName);
        w.Write(OptimizerSteps);
        w.Write(OptimizerBuffers.Length);
        for (int p = 0; p < OptimizerBuffers.Length; p++)
        {
            w.Write(OptimizerBuffers[p]);
            w.Write(OptimizerScalars[p]);
        }

        w.Write(State);
        w.Write(BatchesTracked.Length);
        foreach (long t in BatchesTracked) w.Write(t);

        w.Write(EpochsCompleted);
        w.Write(ScheduleState);
        w.Write(BestScore);
        w.Write(BestEpoch);
        w.Write(EpochsSinceBest);
        w.Write(BestState is not null);
        if (BestState is not null) w.Write(BestState);

        w.Write(History.Epochs.Count);
        foreach (var e in History.Epochs)
        {
            w.Write(e.Epoch);
            w.Write(e.TrainLoss);
            w.Write(e.ValidationLoss.HasValue);
            w.Write(e.ValidationLoss ?? 0);
            w.Write(e.ValidationMetric.HasValue);
            w.Write(e.ValidationMetric ?? 0);
            w.Write(e.LearningRate);
            w.Write(e.Elapsed.Ticks);
            w.Write(e.GradientNorms);
        }

        w.Write(Identity is not null);
        if (Identity is not null)
        {
            w.Write(Identity.Settings.Count);
            foreach (var (name, value) in Identity.Settings)
            {
                w.Write(name);
                w.Write(value);
            }
            w.Write(Identity.Rows);
            w.Write((long)Identity.DataHash);
        }
        return w.ToArray();
    }

    private static TrainingCheckpoint Parse(byte[] body, int version)
    {
        var r = new CheckpointReader(body);
        var spec = ReadSpec(r, version);
        // The spec fixes every length that follows. The state alone takes 4 bytes per value: check that the body holds
        // it before building a network of that size, so a forged spec cannot make us allocate what the file does not hold.
        long stateValues = spec.StateValueCount();
        if (stateValues * 4 > r.Remaining)
            throw new InvalidDataException($"Checkpoint field 'spec' describes a network of {stateValues} values ({stateValues * 4} bytes of state); only {r.Remaining} bytes remain.");
        var shape = new Network(spec, 0);
        var stateShape = shape.StateBuffers();
        int parameterCount = shape.Parameters.Count;

        string optimizerName = r.String("optimizer.name");
        long steps = r.Int64("optimizer.steps");
        if (steps < 0) throw new InvalidDataException($"Checkpoint field 'optimizer.steps' is negative ({steps}).");
        r.Count("optimizer.parameters", 8, parameterCount);
        var buffers = new float[parameterCount][][];
        var scalars = new double[parameterCount];
        for (int p = 0; p < parameterCount; p++)
        {
            string name = $"optimizer.slots[{shape.Parameters[p].Name}]";
            int slotCount = r.Count(name, 4);
            buffers[p] = new float[slotCount][];
            for (int b = 0; b < slotCount; b++) buffers[p][b] = r.Singles($"{name}.buffer[{b}]", shape.Parameters[p].Length);
            scalars[p] = r.Double($"{name}.scalar");
        }

        var state = ReadState(r, "network.state", stateShape);
        int bnCount = r.Count("network.batchesTracked", 8, BatchNorms(shape).Count());
        var tracked = new long[bnCount];
        for (int i = 0; i < bnCount; i++) tracked[i] = r.Int64($"network.batchesTracked[{i}]");

        int epochs = r.Int32("run.epochsCompleted");
        if (epochs < 0) throw new InvalidDataException($"Checkpoint field 'run.epochsCompleted' is negative ({epochs}).");
        var scheduleState = r.Doubles("run.scheduleState");
        double bestScore = r.Double("run.bestScore");
        int bestEpoch = r.Int32("run.bestEpoch");
        int sinceBest = r.Int32("run.epochsSinceBest");
        if (bestEpoch < 0 || bestEpoch > epochs || sinceBest < 0)
            throw new InvalidDataException($"Checkpoint fields 'run.bestEpoch' ({bestEpoch}) and 'run.epochsSinceBest' ({sinceBest}) do not fit {epochs} completed epochs.");
        var bestState = r.Boolean("run.hasBestState") ? ReadState(r, "run.bestState", stateShape) : null;

        int reports = r.Count("history", 8, epochs);
        var history = new TrainingHistory();
        for (int i = 0; i < reports; i++)
        {
            string f = $"history[{i}]";
            int epoch = r.Int32(f + ".epoch");
            double trainLoss = r.Double(f + ".trainLoss");
            bool hasValLoss = r.Boolean(f + ".hasValidationLoss");
            double valLoss = r.Double(f + ".validationLoss");
            bool hasValMetric = r.Boolean(f + ".hasValidationMetric");
            double valMetric = r.Double(f + ".validationMetric");
            double lr = r.Double(f + ".learningRate");
            long ticks = r.Int64(f + ".elapsed");
            var norms = r.Doubles(f + ".gradientNorms", shape.DenseLayers.Count);
            history.Add(new EpochReport
            {
                Epoch = epoch,
                TrainLoss = trainLoss,
                ValidationLoss = hasValLoss ? valLoss : null,
                ValidationMetric = hasValMetric ? valMetric : null,
                LearningRate = lr,
                Elapsed = TimeSpan.FromTicks(ticks),
                GradientNorms = norms,
            });
        }
        RunIdentity? identity = null;
        if (version >= 3 && r.Boolean("identity.present"))
        {
            int count = r.Count("identity.settings", 8);
            var settings = new (string, string)[count];
            for (int i = 0; i < count; i++) settings[i] = (r.String($"identity.settings[{i}].name"), r.String($"identity.settings[{i}].value"));
            long rows = r.Int64("identity.rows");
            ulong hash = (ulong)r.Int64("identity.dataHash");
            identity = new RunIdentity(settings, rows, hash);
        }
        r.End();

        return new TrainingCheckpoint(spec, history, epochs)
        {
            State = state,
            BatchesTracked = tracked,
            OptimizerName = optimizerName,
            OptimizerSteps = steps,
            OptimizerBuffers = buffers,
            OptimizerScalars = scalars,
            ScheduleState = scheduleState,
            BestScore = bestScore,
            BestEpoch = bestEpoch,
            EpochsSinceBest = sinceBest,
            BestState = bestState,
            Identity = identity,
        };
    }

    private static float[][] ReadState(CheckpointReader r, string field, IReadOnlyList<float[]> shape)
    {
        r.Count(field, 4, shape.Count);
        var state = new float[shape.Count][];
        for (int i = 0; i < shape.Count; i++) state[i] = r.Singles($"{field}[{i}]", shape[i].Length);
        return state;
    }

    private static void WriteSpec(CheckpointWriter w, NetworkSpec s, int version)
    {
        w.Write(s.InputSize);
        w.Write(s.HiddenLayers);
        w.Write((int)s.Activation);
        w.Write(s.LeakyReluSlope);
        w.Write(s.BatchNorm);
        w.Write(s.Dropout);
        w.Write(s.OutputSize);
        w.Write((int)s.Loss);
        w.Write((int)s.WeightInit);
        w.Write(s.ClassWeights is not null);
        if (s.ClassWeights is not null) w.Write(s.ClassWeights);
        w.Write(s.LabelSmoothing);
        w.Write(s.HuberDelta);
        if (version >= 2)
        {
            w.Write((int)s.Parametrization);
            w.Write(s.InputScaling);
            w.Write(s.EmbeddedFeatures);
            w.Write(s.EmbeddingFrequencies);
            w.Write(s.EmbeddingOutputs);
        }
    }

    private static NetworkSpec ReadSpec(CheckpointReader r, int version)
    {
        var spec = new NetworkSpec
        {
            InputSize = r.Int32("spec.inputSize"),
            HiddenLayers = r.Int32s("spec.hiddenLayers"),
            Activation = (Activation)r.Int32("spec.activation"),
            LeakyReluSlope = r.Single("spec.leakySlope"),
            BatchNorm = r.Boolean("spec.batchNorm"),
            Dropout = r.Single("spec.dropout"),
            OutputSize = r.Int32("spec.outputSize"),
            Loss = (LossKind)r.Int32("spec.loss"),
            WeightInit = (WeightInit)r.Int32("spec.weightInit"),
            ClassWeights = r.Boolean("spec.hasClassWeights") ? r.Singles("spec.classWeights") : null,
            LabelSmoothing = r.Single("spec.labelSmoothing"),
            HuberDelta = r.Single("spec.huberDelta"),
        };
        if (version >= 2)
            spec = spec with
            {
                Parametrization = (Parametrization)r.Int32("spec.parametrization"),
                InputScaling = r.Boolean("spec.inputScaling"),
                EmbeddedFeatures = r.Int32s("spec.embeddedFeatures"),
                EmbeddingFrequencies = r.Int32("spec.embeddingFrequencies"),
                EmbeddingOutputs = r.Int32("spec.embeddingOutputs"),
            };
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint field 'spec.{e.ParamName}' is invalid: {e.Message}", e);
        }
        return spec;
    }
}
