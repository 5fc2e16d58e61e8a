namespace MLNetBackprop.Engine;

/// <summary>
/// Reading checkpoints of format versions 1 to 3 (before checkpoints became payload frames, version 4): the framing
/// "MLNBPCKP" + version + body length + SHA-256 (<see cref="CheckpointFile"/>), and a body in
/// <see cref="System.IO.BinaryWriter"/> encodings read by <see cref="CheckpointReader"/>. Version 1 lacks the spec's
/// parametrisation, input scaling and embeddings; versions 1 and 2 lack the run's identity. Kept so that runs
/// checkpointed by earlier releases resume; nothing writes these versions any more.
/// </summary>
public sealed partial class TrainingCheckpoint
{
    /// <summary>The newest format version of the old framing.</summary>
    internal const int LastLegacyFormatVersion = 3;

    private static TrainingCheckpoint ParseLegacy(byte[] body, int version)
    {
        var r = new CheckpointReader(body);
        var spec = ReadLegacySpec(r, version);
        // The spec fixes every length that follows. The state alone takes 4 bytes per value: check that the body holds
        // it before building a network of that size, so a forged spec cannot make us allocate what the file does not hold.
        long stateValues = spec.StateValueCount();
        if (stateValues * 4 > r.Remaining)
            throw new InvalidDataException($"Checkpoint field 'spec' describes a network of {stateValues} values ({stateValues * 4} bytes of state); only {r.Remaining} bytes remain.");
        var shape = Network.ForLoading(spec); // only its shapes are read
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

        var state = ReadLegacyState(r, "network.state", stateShape);
        int bnCount = r.Count("network.batchesTracked", 8, shape.Counters().Length);
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
        var bestState = r.Boolean("run.hasBestState") ? ReadLegacyState(r, "run.bestState", stateShape) : null;

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

    private static float[][] ReadLegacyState(CheckpointReader r, string field, IReadOnlyList<float[]> shape)
    {
        r.Count(field, 4, shape.Count);
        var state = new float[shape.Count][];
        for (int i = 0; i < shape.Count; i++) state[i] = r.Singles($"{field}[{i}]", shape[i].Length);
        return state;
    }

    private static NetworkSpec ReadLegacySpec(CheckpointReader r, int version)
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
