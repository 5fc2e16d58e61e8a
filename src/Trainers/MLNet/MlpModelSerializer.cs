using MLNetBackprop.Engine;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// The payload of a trained MLP inside model.zip (kind "Mlp", body version 4; versions 1–3 are still read), framed and
/// checksummed by <see cref="PayloadWriter"/>. Body, in order:
/// int32 task (1 multiclass, 2 binary, 3 regression); string feature column;
/// version 4: the network's spec record (<see cref="NetworkSpecCodec"/>, the encoding checkpoints share), Boolean smooth clip
/// of the features;
/// versions 1–3 instead: int32 input size d (1..2^24);
/// int32 hidden layer count h (0..64) and h × int32 widths (1..2^20); int32 activation; Single leaky slope;
/// Boolean batch norm; Single dropout; int32 output size; int32 loss; Single label smoothing; Single Huber δ;
/// version 3 only: int32 parametrisation, Boolean input scaling (a learnable scale layer), Boolean smooth clip of the features,
/// int32 embedded feature count m and m ascending int32 feature indices, int32 embedding frequencies, int32 embedding outputs;
/// Single[d] feature means; Single[d] feature scales; Single label mean; Single label scale;
/// Boolean has-key-values, then (int32 type code, int32 count, values);
/// versions 3 and 4: int32 ensemble size k (1..64); then k times (once before version 3): int32 state buffer count, then per
/// buffer int32 length and Single[length] (input scales, weights, biases, BatchNorm γ/β and running statistics, in
/// <see cref="Network.StateBuffers"/> order).
/// Versions 2 to 4 then hold k training histories (one per member, in member order) (<see cref="TrainingHistory"/>; a version-1 body loads with an empty one):
/// int32 epoch count n (≥ 0, at most what the remaining bytes can hold), then per epoch: int32 epoch (≥ 1);
/// Double train loss; Boolean has-validation-loss [+ Double validation loss]; Boolean has-validation-metric
/// [+ Double metric]; Double learning rate; int64 elapsed ticks (≥ 0); int32 gradient norm count g and Double[g];
/// after the epochs: int32 best epoch (0 .. the largest epoch number); string stop reason (at most 4096 UTF-8 bytes,
/// longer reasons are cut when written). History values are informational and may be any Double.
/// Strings are int32 UTF-8 byte length + bytes; all integers and floats little-endian.
/// Every count is checked against the architecture or the bytes remaining before anything is allocated; every
/// parameter value must be finite.
/// </summary>
internal static class MlpModelSerializer
{
    public const string Kind = "Mlp";
    /// <summary>The body version written.</summary>
    public const int BodyVersion = 4;

    /// <summary>The oldest body version read (without a training history).</summary>
    public const int MinBodyVersion = 1;

    /// <summary>The longest stop reason stored, in UTF-8 bytes.</summary>
    public const int MaxStopReasonBytes = 4096;

    /// <summary>The fewest bytes one epoch report takes (no validation values, no gradient norms).</summary>
    private const int MinEpochBytes = 4 + 8 + 1 + 1 + 8 + 8 + 4;
    private const int MaxWidth = NetworkSpec.MaxWidth;

    /// <summary>The most ensemble members a model file may hold.</summary>
    internal const int MaxMembers = 64;
    private const int MaxInputs = NetworkSpec.MaxInputs;

    public static void Write(PayloadWriter w, TaskKind task, string featureColumn, MlpModelParameters model, LabelKeyValues? keyValues)
    {
        if (w.BodyVersion is < MinBodyVersion or > BodyVersion)
            throw new ArgumentOutOfRangeException(nameof(w), w.BodyVersion, $"{Kind} body version {w.BodyVersion} cannot be written.");
        var spec = model.Spec;
        w.WriteInt32((int)task);
        w.WriteString(featureColumn);
        if (w.BodyVersion >= 4)
        {
            NetworkSpecCodec.Write(w, spec);
            w.WriteBoolean(model.Features.SmoothClip);
        }
        else WriteLegacySpec(w, model);
        w.WriteSingles(model.FeatureMeans.ToArray());
        w.WriteSingles(model.FeatureScales.ToArray());
        w.WriteSingle(model.LabelMean);
        w.WriteSingle(model.LabelScale);
        w.WriteBoolean(keyValues is not null);
        keyValues?.Write(w);
        if (w.BodyVersion >= 3) w.WriteInt32(model.EnsembleSize);
        else if (model.EnsembleSize != 1)
            throw new ArgumentOutOfRangeException(nameof(w), w.BodyVersion, $"{Kind} body version {w.BodyVersion} cannot hold an ensemble (version 3 can).");
        foreach (var member in model.Members)
        {
            var buffers = member.StateBuffers();
            w.WriteInt32(buffers.Count);
            foreach (var b in buffers)
            {
                w.WriteInt32(b.Length);
                w.WriteSingles(b);
            }
        }
        if (w.BodyVersion >= 2)
            foreach (var history in model.MemberHistories) WriteHistory(w, history);
    }

    /// <summary>The spec fields of body versions 1–3, written field by field (before <see cref="NetworkSpecCodec"/>).</summary>
    private static void WriteLegacySpec(PayloadWriter w, MlpModelParameters model)
    {
        var spec = model.Spec;
        w.WriteInt32(spec.InputSize);
        w.WriteInt32(spec.HiddenLayers.Length);
        foreach (int width in spec.HiddenLayers) w.WriteInt32(width);
        w.WriteInt32((int)spec.Activation);
        w.WriteSingle(spec.LeakyReluSlope);
        w.WriteBoolean(spec.BatchNorm);
        w.WriteSingle(spec.Dropout);
        w.WriteInt32(spec.OutputSize);
        w.WriteInt32((int)spec.Loss);
        w.WriteSingle(spec.LabelSmoothing);
        w.WriteSingle(spec.HuberDelta);
        if (w.BodyVersion >= 3)
        {
            w.WriteInt32((int)spec.Parametrization);
            w.WriteBoolean(spec.InputScaling);
            w.WriteBoolean(model.Features.SmoothClip);
            w.WriteInt32(spec.EmbeddedFeatures.Length);
            foreach (int j in spec.EmbeddedFeatures) w.WriteInt32(j);
            w.WriteInt32(spec.EmbeddingFrequencies);
            w.WriteInt32(spec.EmbeddingOutputs);
        }
        else if (spec.Parametrization != Parametrization.Standard || spec.InputScaling || model.Features.SmoothClip || spec.EmbeddedFeatures.Length > 0)
            throw new ArgumentOutOfRangeException(nameof(w), w.BodyVersion, $"{Kind} body version {w.BodyVersion} cannot hold this model (neural-tangent layers, feature scales, smooth clipping or embeddings need version 3).");
    }

    private static void WriteHistory(PayloadWriter w, TrainingHistory history)
    {
        w.WriteInt32(history.Epochs.Count);
        foreach (var e in history.Epochs)
        {
            w.WriteInt32(e.Epoch);
            w.WriteDouble(e.TrainLoss);
            w.WriteBoolean(e.ValidationLoss.HasValue);
            if (e.ValidationLoss is { } vl) w.WriteDouble(vl);
            w.WriteBoolean(e.ValidationMetric.HasValue);
            if (e.ValidationMetric is { } vm) w.WriteDouble(vm);
            w.WriteDouble(e.LearningRate);
            w.WriteInt64(e.Elapsed.Ticks);
            var norms = e.GradientNorms ?? [];
            w.WriteInt32(norms.Length);
            w.WriteDoubles(norms);
        }
        w.WriteInt32(history.BestEpoch);
        w.WriteString(Cut(history.StopReason ?? "", MaxStopReasonBytes));
    }

    /// <summary>The longest prefix of <paramref name="text"/> of at most <paramref name="maxBytes"/> UTF-8 bytes, not splitting a character.</summary>
    private static string Cut(string text, int maxBytes)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        int bytes = 0, i = 0;
        while (i < text.Length)
        {
            int step = char.IsSurrogatePair(text, i) ? 2 : 1;
            int size = System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(i, step));
            if (bytes + size > maxBytes) break;
            bytes += size;
            i += step;
        }
        return text[..i];
    }

    private static TrainingHistory ReadHistory(PayloadReader r)
    {
        int n = r.ReadInt32("history epoch count", 0, int.MaxValue);
        r.Require("history epochs", (long)n * MinEpochBytes, n); // before allocating n reports
        var history = new TrainingHistory();
        int lastEpoch = 0;
        for (int i = 0; i < n; i++)
        {
            int epoch = r.ReadInt32($"history epoch {i} number", 1, int.MaxValue);
            double trainLoss = r.ReadDouble($"history epoch {i} train loss");
            double? validationLoss = r.ReadBoolean($"history epoch {i} has validation loss") ? r.ReadDouble($"history epoch {i} validation loss") : null;
            double? metric = r.ReadBoolean($"history epoch {i} has validation metric") ? r.ReadDouble($"history epoch {i} validation metric") : null;
            double learningRate = r.ReadDouble($"history epoch {i} learning rate");
            long ticks = r.ReadInt64($"history epoch {i} elapsed ticks", 0, long.MaxValue);
            int g = r.ReadInt32($"history epoch {i} gradient norm count", 0, int.MaxValue);
            double[] norms = r.ReadDoubles($"history epoch {i} gradient norms", g);
            history.Add(new EpochReport
            {
                Epoch = epoch, TrainLoss = trainLoss, ValidationLoss = validationLoss, ValidationMetric = metric,
                LearningRate = learningRate, Elapsed = TimeSpan.FromTicks(ticks), GradientNorms = norms,
            });
            lastEpoch = Math.Max(lastEpoch, epoch);
        }
        history.BestEpoch = r.ReadInt32("history best epoch", 0, lastEpoch);
        history.StopReason = r.ReadString("history stop reason", MaxStopReasonBytes);
        return history;
    }

    /// <summary>Reads a body written by <see cref="Write"/> for <paramref name="expectedTask"/>; any other task is an <see cref="InvalidDataException"/>.</summary>
    public static (string FeatureColumn, MlpModelParameters Model, LabelKeyValues? KeyValues) Read(PayloadReader r, TaskKind expectedTask)
    {
        var task = (TaskKind)r.ReadInt32("task", (int)expectedTask, (int)expectedTask);
        string feature = r.ReadString("feature column", 4096);
        if (feature.Length == 0)
            throw new InvalidDataException($"{Kind} payload: 'feature column' is empty.");
        NetworkSpec spec;
        bool smoothClip;
        if (r.BodyVersion >= 4)
        {
            spec = NetworkSpecCodec.Read(r);
            smoothClip = r.ReadBoolean("smooth clip");
        }
        else (spec, smoothClip) = ReadLegacySpec(r);
        int d = spec.InputSize, outputs = spec.OutputSize;
        float[] means = Finite(r.ReadSingles("feature means", d), "feature means");
        float[] scales = Finite(r.ReadSingles("feature scales", d), "feature scales");
        float labelMean = r.ReadSingle("label mean", float.MinValue, float.MaxValue);
        float labelScale = r.ReadSingle("label scale", float.Epsilon, float.MaxValue);
        LabelKeyValues? keyValues = r.ReadBoolean("has key values") ? LabelKeyValues.Read(r, outputs) : null;
        int members = r.BodyVersion >= 3 ? r.ReadInt32("ensemble size", 1, MaxMembers) : 1;

        // The architecture fixes the size of every buffer: check the file's sizes against it before
        // building the network, so a forged count can never make us allocate more than the file holds.
        long stateValues = spec.StateValueCount() * members;
        if (stateValues * 4 > r.Remaining)
            throw new InvalidDataException($"{Kind} payload: the architecture needs {stateValues} values but only {r.Remaining} bytes remain.");
        CheckTask(task, spec.Loss, outputs);

        var networks = new Network[members];
        for (int m = 0; m < members; m++)
        {
            string at = members == 1 ? "" : $"member {m} ";
            // Values go straight from the stream into the network's own buffers: loading costs about the payload's size.
            var network = Network.ForLoading(spec);
            var mine = network.StateBuffers();
            int count = r.ReadInt32($"{at}state buffer count", mine.Count, mine.Count);
            for (int i = 0; i < count; i++)
            {
                int length = r.ReadInt32($"{at}state buffer {i} length", mine[i].Length, mine[i].Length);
                r.ReadSingles($"{at}state buffer {i}", mine[i]);
                Finite(mine[i], $"{at}state buffer {i}");
            }
            networks[m] = network;
        }
        var histories = new TrainingHistory[members];
        for (int m = 0; m < members; m++) histories[m] = r.BodyVersion >= 2 ? ReadHistory(r) : new TrainingHistory();
        r.EnsureEnd();
        var model = new MlpModelParameters(networks, new FeatureTransform(means, scales, smoothClip), labelMean, labelScale, histories);
        CheckPlausible(model);
        return (feature, model, keyValues);
    }

    /// <summary>The spec fields of body versions 1–3 (and version 3's smooth clip among them), read field by field.</summary>
    private static (NetworkSpec Spec, bool SmoothClip) ReadLegacySpec(PayloadReader r)
    {
        int d = r.ReadInt32("input size", 1, MaxInputs);
        int h = r.ReadInt32("hidden layer count", 0, NetworkSpec.MaxHiddenLayers);
        r.Require("hidden layer widths", 4L * h, h);
        var hidden = new int[h];
        for (int i = 0; i < h; i++) hidden[i] = r.ReadInt32($"hidden layer {i} width", 1, MaxWidth);
        var activation = (Activation)r.ReadInt32("activation", 0, Enum.GetValues<Activation>().Length - 1);
        float slope = r.ReadSingle("leaky slope", 0, float.MaxValue);
        bool batchNorm = r.ReadBoolean("batch norm");
        float dropout = r.ReadSingle("dropout", 0, 0.999999f);
        int outputs = r.ReadInt32("output size", 1, MaxWidth);
        var loss = (LossKind)r.ReadInt32("loss", 0, Enum.GetValues<LossKind>().Length - 1);
        float smoothing = r.ReadSingle("label smoothing", 0, 0.999999f);
        float delta = r.ReadSingle("Huber delta", float.Epsilon, float.MaxValue);
        var parametrization = Parametrization.Standard;
        bool inputScaling = false, smoothClip = false;
        int[] embedded = [];
        int frequencies = 16, embeddingOutputs = 3;
        if (r.BodyVersion >= 3)
        {
            parametrization = (Parametrization)r.ReadInt32("parametrization", 0, Enum.GetValues<Parametrization>().Length - 1);
            inputScaling = r.ReadBoolean("input scaling");
            smoothClip = r.ReadBoolean("smooth clip");
            int m = r.ReadInt32("embedded feature count", 0, d);
            r.Require("embedded features", 4L * m, m);
            embedded = new int[m];
            for (int i = 0; i < m; i++) embedded[i] = r.ReadInt32($"embedded feature {i}", i == 0 ? 0 : embedded[i - 1] + 1, d - 1);
            frequencies = r.ReadInt32("embedding frequencies", 1, 256);
            embeddingOutputs = r.ReadInt32("embedding outputs", 1, 256);
        }
        var spec = NetworkSpecCodec.Validated(Kind, new NetworkSpec
        {
            InputSize = d, HiddenLayers = hidden, Activation = activation, LeakyReluSlope = slope, BatchNorm = batchNorm,
            Dropout = dropout, OutputSize = outputs, Loss = loss, LabelSmoothing = smoothing, HuberDelta = delta,
            Parametrization = parametrization, InputScaling = inputScaling,
            EmbeddedFeatures = embedded, EmbeddingFrequencies = frequencies, EmbeddingOutputs = embeddingOutputs,
        });
        return (spec, smoothClip);
    }

    /// <summary>The largest factor by which one layer of a stored network may scale its input (see <see cref="InferenceNetwork.LargestLayerGain"/>).</summary>
    internal const double MaxLayerGain = 1e18;

    /// <summary>
    /// Refuses finite but absurd parameters — a leaky slope or a weight near float's limit — that no training produces and
    /// that would turn finite inputs into ±∞ and NaN scores.
    /// </summary>
    private static void CheckPlausible(MlpModelParameters model)
    {
        for (int m = 0; m < model.Inferences.Length; m++)
        {
            var (gain, block) = model.Inferences[m].LargestLayerGain(model.Features.OutputBound);
            if (gain <= MaxLayerGain) continue;
            string member = model.Inferences.Length == 1 ? "" : $"member {m}, ";
            string layer = block < 0 ? "the periodic embedding" : block < model.Spec.HiddenLayers.Length ? $"hidden layer {block}" : "the output layer";
            throw new InvalidDataException($"{Kind} payload: {member}{layer} can scale its input by {gain.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)} " +
                $"(its weights, bias, BatchNorm statistics or leaky slope), beyond {MaxLayerGain:G0}: finite inputs would score ±∞ or NaN. A trained network does not hold such values.");
        }
    }

    private static void CheckTask(TaskKind task, LossKind loss, int outputs)
    {
        bool ok = task switch
        {
            TaskKind.Multiclass => loss == LossKind.SoftmaxCrossEntropy && outputs >= 2,
            TaskKind.Binary => loss == LossKind.SigmoidCrossEntropy && outputs == 1,
            _ => loss is LossKind.MeanSquaredError or LossKind.Huber && outputs == 1,
        };
        if (!ok) throw new InvalidDataException($"{Kind} payload: loss {loss} with {outputs} outputs does not fit a {task} model.");
    }

    private static float[] Finite(float[] values, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new InvalidDataException($"{Kind} payload: '{what}[{i}]' = {values[i]} is not finite.");
        return values;
    }
}
