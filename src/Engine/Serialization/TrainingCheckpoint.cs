using MLNetBackprop.Internals;

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
/// File format (version 4): the container model payloads use — a <see cref="PayloadWriter"/> frame of kind
/// <c>Checkpoint</c> (magic, versions, body length, body, SHA-256), written atomically — whose body is: the spec record
/// (<see cref="NetworkSpecCodec"/>, as in model files); string optimizer name, int64 steps, int32 parameter count and per
/// parameter int32 slot count, per slot int32 length + Single[length], Double scalar; the network state (int32 buffer
/// count, per buffer int32 length + Single[length]); int32 BatchNorm count + int64 batches tracked each; int32 epochs
/// completed; int32 count + Double[count] schedule state; Double best score; int32 best epoch; int32 epochs since best;
/// Boolean has-best-state [+ buffers as the state]; int32 report count (= epochs completed) and per report int32 epoch,
/// Double train loss, Boolean + Double validation loss, Boolean + Double validation metric, Double learning rate, int64
/// elapsed ticks, int32 count + Double[count] gradient norms; Boolean has-identity [+ int32 setting count, per setting
/// two strings, int64 rows, int64 data hash]. Reads check the hash, then every count against the spec or the bytes
/// left, and throw <see cref="InvalidDataException"/> naming the field that does not fit. Versions 1–3 (their own
/// framing) are still read (TrainingCheckpoint.Legacy.cs).
/// </para>
/// </summary>
public sealed partial class TrainingCheckpoint
{
    /// <summary>
    /// The format version this build writes (and the highest it reads): the body version of its payload frame. Versions
    /// 1–3 had a framing of their own; versions 1 and 2 lack the run's identity (<see cref="RunIdentity"/>), so resuming
    /// them cannot check that the settings and data are the same. All are still read.
    /// </summary>
    public const int FormatVersion = 4;

    /// <summary>The payload kind of a checkpoint.</summary>
    internal const string Kind = "Checkpoint";

    /// <summary>The longest string a checkpoint holds (an optimizer name, a setting of the run's identity), in UTF-8 bytes.</summary>
    private const int MaxStringBytes = 1 << 20;

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
        byte[] file = File.ReadAllBytes(path);
        if (file.AsSpan().StartsWith(CheckpointFile.Magic))
        {
            var (body, version) = CheckpointFile.Unframe(file, LastLegacyFormatVersion);
            return ParseLegacy(body, version);
        }
        return Parse(PayloadReader.FromBytes(file, Kind, FormatVersion, FormatVersion));
    }

    /// <summary>A new network with the checkpoint's spec and state (weights, running statistics, batch counts).</summary>
    public Network CreateNetwork()
    {
        var network = Network.ForLoading(Spec); // every value is overwritten from the checkpoint: no initial draw
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
            BatchesTracked = network.Counters(),
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
        if (!NetworkSpecCodec.Same(network.Spec, Spec))
            throw new ArgumentException("The network's spec differs from the checkpoint's; build it from TrainingCheckpoint.Spec (or use CreateNetwork).", nameof(network));
        network.LoadState(State);
        network.LoadCounters(BatchesTracked);
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


    // ---- Binary format ------------------------------------------------------------------------

    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically (temporary file, flush, move).</summary>
    internal void Save(string path) => CheckpointFile.WriteAtomically(path, Serialize());

    /// <summary>The whole file: a payload frame of kind <see cref="Kind"/>, body version <see cref="FormatVersion"/>.</summary>
    internal byte[] Serialize()
    {
        var w = new PayloadWriter(Kind, FormatVersion);
        NetworkSpecCodec.Write(w, Spec);

        w.WriteString(OptimizerName);
        w.WriteInt64(OptimizerSteps);
        w.WriteInt32(OptimizerBuffers.Length);
        for (int p = 0; p < OptimizerBuffers.Length; p++)
        {
            WriteBuffers(w, OptimizerBuffers[p]);
            w.WriteDouble(OptimizerScalars[p]);
        }

        WriteBuffers(w, State);
        w.WriteInt32(BatchesTracked.Length);
        foreach (long t in BatchesTracked) w.WriteInt64(t);

        w.WriteInt32(EpochsCompleted);
        w.WriteInt32(ScheduleState.Length);
        w.WriteDoubles(ScheduleState);
        w.WriteDouble(BestScore);
        w.WriteInt32(BestEpoch);
        w.WriteInt32(EpochsSinceBest);
        w.WriteBoolean(BestState is not null);
        if (BestState is not null) WriteBuffers(w, BestState);

        w.WriteInt32(History.Epochs.Count);
        foreach (var e in History.Epochs)
        {
            w.WriteInt32(e.Epoch);
            w.WriteDouble(e.TrainLoss);
            w.WriteBoolean(e.ValidationLoss.HasValue);
            w.WriteDouble(e.ValidationLoss ?? 0);
            w.WriteBoolean(e.ValidationMetric.HasValue);
            w.WriteDouble(e.ValidationMetric ?? 0);
            w.WriteDouble(e.LearningRate);
            w.WriteInt64(e.Elapsed.Ticks);
            var norms = e.GradientNorms ?? [];
            w.WriteInt32(norms.Length);
            w.WriteDoubles(norms);
        }

        w.WriteBoolean(Identity is not null);
        if (Identity is not null)
        {
            w.WriteInt32(Identity.Settings.Count);
            foreach (var (name, value) in Identity.Settings)
            {
                w.WriteString(name);
                w.WriteString(value);
            }
            w.WriteInt64(Identity.Rows);
            w.WriteInt64((long)Identity.DataHash);
        }
        return w.ToArray();
    }

    private static void WriteBuffers(PayloadWriter w, float[][] buffers)
    {
        w.WriteInt32(buffers.Length);
        foreach (var b in buffers)
        {
            w.WriteInt32(b.Length);
            w.WriteSingles(b);
        }
    }

    private static TrainingCheckpoint Parse(PayloadReader r)
    {
        var spec = NetworkSpecCodec.Read(r);
        // The spec fixes every length that follows. The state alone takes 4 bytes per value: check that the body holds
        // it before building a network of that size, so a forged spec cannot make us allocate what the file does not hold.
        long stateValues = spec.StateValueCount();
        if (stateValues * 4 > r.Remaining)
            throw new InvalidDataException($"{Kind} payload: the spec describes a network of {stateValues} values ({stateValues * 4} bytes of state); only {r.Remaining} bytes remain.");
        var shape = Network.ForLoading(spec); // only its shapes are read
        var stateShape = shape.StateBuffers();
        int parameterCount = shape.Parameters.Count;

        string optimizerName = r.ReadString("optimizer name", MaxStringBytes);
        long steps = r.ReadInt64("optimizer steps", 0, long.MaxValue);
        r.ReadInt32("optimizer parameters", parameterCount, parameterCount);
        var buffers = new float[parameterCount][][];
        var scalars = new double[parameterCount];
        for (int p = 0; p < parameterCount; p++)
        {
            string name = $"optimizer slots of {shape.Parameters[p].Name}";
            int slotCount = r.ReadInt32($"{name} count", 0, int.MaxValue);
            r.Require(name, 4L * slotCount, slotCount);
            buffers[p] = new float[slotCount][];
            int length = shape.Parameters[p].Length;
            for (int b = 0; b < slotCount; b++)
            {
                r.ReadInt32($"{name} buffer {b} length", length, length);
                buffers[p][b] = r.ReadSingles($"{name} buffer {b}", length);
            }
            scalars[p] = r.ReadDouble($"{name} scalar");
        }

        var state = ReadState(r, "network state", stateShape);
        int bnCount = shape.Counters().Length;
        r.ReadInt32("batches tracked count", bnCount, bnCount);
        var tracked = new long[bnCount];
        for (int i = 0; i < bnCount; i++) tracked[i] = r.ReadInt64($"batches tracked {i}", 0, long.MaxValue);

        int epochs = r.ReadInt32("epochs completed", 0, int.MaxValue);
        int scheduleValues = r.ReadInt32("schedule state count", 0, int.MaxValue);
        var scheduleState = r.ReadDoubles("schedule state", scheduleValues);
        double bestScore = r.ReadDouble("best score");
        int bestEpoch = r.ReadInt32("best epoch", 0, epochs);
        int sinceBest = r.ReadInt32("epochs since best", 0, int.MaxValue);
        var bestState = r.ReadBoolean("has best state") ? ReadState(r, "best state", stateShape) : null;

        r.ReadInt32("history epoch count", epochs, epochs);
        var history = new TrainingHistory();
        int layers = shape.DenseLayers.Count;
        for (int i = 0; i < epochs; i++)
        {
            string f = $"history epoch {i}";
            int epoch = r.ReadInt32(f, 1, int.MaxValue);
            double trainLoss = r.ReadDouble(f + " train loss");
            bool hasValLoss = r.ReadBoolean(f + " has validation loss");
            double valLoss = r.ReadDouble(f + " validation loss");
            bool hasValMetric = r.ReadBoolean(f + " has validation metric");
            double valMetric = r.ReadDouble(f + " validation metric");
            double lr = r.ReadDouble(f + " learning rate");
            long ticks = r.ReadInt64(f + " elapsed ticks", 0, long.MaxValue);
            int normCount = r.ReadInt32(f + " gradient norm count", layers, layers);
            var norms = r.ReadDoubles(f + " gradient norms", normCount);
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
        if (r.ReadBoolean("has identity"))
        {
            int count = r.ReadInt32("identity setting count", 0, int.MaxValue);
            r.Require("identity settings", 8L * count, count);
            var settings = new (string, string)[count];
            for (int i = 0; i < count; i++)
                settings[i] = (r.ReadString($"identity setting {i} name", MaxStringBytes), r.ReadString($"identity setting {i} value", MaxStringBytes));
            long rows = r.ReadInt64("identity rows", 0, long.MaxValue);
            ulong hash = (ulong)r.ReadInt64("identity data hash", long.MinValue, long.MaxValue);
            identity = new RunIdentity(settings, rows, hash);
        }
        r.EnsureEnd();

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

    /// <summary>Buffers shaped exactly as <paramref name="shape"/> (count and lengths checked before reading).</summary>
    private static float[][] ReadState(PayloadReader r, string field, IReadOnlyList<float[]> shape)
    {
        r.ReadInt32($"{field} buffer count", shape.Count, shape.Count);
        var state = new float[shape.Count][];
        for (int i = 0; i < shape.Count; i++)
        {
            r.ReadInt32($"{field} buffer {i} length", shape[i].Length, shape[i].Length);
            state[i] = r.ReadSingles($"{field} buffer {i}", shape[i].Length);
        }
        return state;
    }
}
