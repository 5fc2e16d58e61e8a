using MLNetBackprop.Internals;

namespace MLNetBackprop.Engine;

/// <summary>
/// The one encoding of a <see cref="NetworkSpec"/>, in the payload primitives (<see cref="PayloadWriter"/>), shared by the
/// model payload (Mlp body version ≥ 4) and the training checkpoint (format version ≥ 4). A spec field added for a new
/// layer goes here once: append it, bump <see cref="Version"/>, and read the older records with the field's default.
/// Record, in order: int32 record version; int32 input size (1..2^24); int32 hidden layer count h (0..64) and h × int32
/// widths (1..2^20); int32 activation; Single leaky ReLU slope; Boolean batch norm; Single dropout; int32 output size
/// (1..2^20); int32 loss; int32 weight initialisation; Boolean has-class-weights [+ Single × output size]; Single label
/// smoothing; Single Huber δ; int32 parametrisation; Boolean input scaling; int32 embedded feature count m (0..input
/// size) and m ascending int32 feature indices; int32 embedding frequencies (1..256); int32 embedding outputs (1..256).
/// Every value is range-checked as it is read and the whole spec validated (<see cref="NetworkSpec.Validate"/>); a
/// failure is an <see cref="InvalidDataException"/> naming the field.
/// </summary>
internal static class NetworkSpecCodec
{
    /// <summary>The record version written (its first field).</summary>
    public const int Version = 1;

    /// <summary>The largest dropout or label smoothing below 1 (<see cref="NetworkSpec.Validate"/> requires &lt; 1).</summary>
    private static readonly float BelowOne = MathF.BitDecrement(1f);

    /// <summary>Appends <paramref name="spec"/>'s record.</summary>
    public static void Write(PayloadWriter w, NetworkSpec spec)
    {
        w.WriteInt32(Version);
        w.WriteInt32(spec.InputSize);
        w.WriteInt32(spec.HiddenLayers.Length);
        foreach (int width in spec.HiddenLayers) w.WriteInt32(width);
        w.WriteInt32((int)spec.Activation);
        w.WriteSingle(spec.LeakyReluSlope);
        w.WriteBoolean(spec.BatchNorm);
        w.WriteSingle(spec.Dropout);
        w.WriteInt32(spec.OutputSize);
        w.WriteInt32((int)spec.Loss);
        w.WriteInt32((int)spec.WeightInit);
        w.WriteBoolean(spec.ClassWeights is not null);
        if (spec.ClassWeights is not null) w.WriteSingles(spec.ClassWeights);
        w.WriteSingle(spec.LabelSmoothing);
        w.WriteSingle(spec.HuberDelta);
        w.WriteInt32((int)spec.Parametrization);
        w.WriteBoolean(spec.InputScaling);
        w.WriteInt32(spec.EmbeddedFeatures.Length);
        foreach (int j in spec.EmbeddedFeatures) w.WriteInt32(j);
        w.WriteInt32(spec.EmbeddingFrequencies);
        w.WriteInt32(spec.EmbeddingOutputs);
    }

    /// <summary>Reads a record written by <see cref="Write"/> (any version up to <see cref="Version"/>).</summary>
    public static NetworkSpec Read(PayloadReader r)
    {
        // The record's version: a field appended later is read only from records that have it (older ones keep its default).
        int version = r.ReadInt32("spec version", 1, Version);
        _ = version;
        // The ranges are NetworkSpec.Validate's, so every spec that can be trained can be read back.
        int d = r.ReadInt32("input size", 1, NetworkSpec.MaxInputs);
        int h = r.ReadInt32("hidden layer count", 0, NetworkSpec.MaxHiddenLayers);
        r.Require("hidden layer widths", 4L * h, h);
        var hidden = new int[h];
        for (int i = 0; i < h; i++) hidden[i] = r.ReadInt32($"hidden layer {i} width", 1, NetworkSpec.MaxWidth);
        var activation = (Activation)r.ReadInt32("activation", 0, Enum.GetValues<Activation>().Length - 1);
        float slope = r.ReadSingle("leaky slope", 0, float.MaxValue);
        bool batchNorm = r.ReadBoolean("batch norm");
        float dropout = r.ReadSingle("dropout", 0, BelowOne);
        int outputs = r.ReadInt32("output size", 1, NetworkSpec.MaxWidth);
        var loss = (LossKind)r.ReadInt32("loss", 0, Enum.GetValues<LossKind>().Length - 1);
        var init = (WeightInit)r.ReadInt32("weight init", 0, Enum.GetValues<WeightInit>().Length - 1);
        float[]? classWeights = r.ReadBoolean("has class weights") ? r.ReadSingles("class weights", outputs) : null;
        float smoothing = r.ReadSingle("label smoothing", 0, BelowOne);
        float delta = r.ReadSingle("Huber delta", float.Epsilon, float.MaxValue);
        var parametrization = (Parametrization)r.ReadInt32("parametrization", 0, Enum.GetValues<Parametrization>().Length - 1);
        bool inputScaling = r.ReadBoolean("input scaling");
        int m = r.ReadInt32("embedded feature count", 0, d);
        r.Require("embedded features", 4L * m, m);
        var embedded = new int[m];
        for (int i = 0; i < m; i++) embedded[i] = r.ReadInt32($"embedded feature {i}", i == 0 ? 0 : embedded[i - 1] + 1, d - 1);
        int frequencies = r.ReadInt32("embedding frequencies", 1, 256);
        int embeddingOutputs = r.ReadInt32("embedding outputs", 1, 256);
        return Validated(r.Kind, new NetworkSpec
        {
            InputSize = d, HiddenLayers = hidden, Activation = activation, LeakyReluSlope = slope, BatchNorm = batchNorm,
            Dropout = dropout, OutputSize = outputs, Loss = loss, WeightInit = init, ClassWeights = classWeights,
            LabelSmoothing = smoothing, HuberDelta = delta, Parametrization = parametrization, InputScaling = inputScaling,
            EmbeddedFeatures = embedded, EmbeddingFrequencies = frequencies, EmbeddingOutputs = embeddingOutputs,
        });
    }

    /// <summary><paramref name="spec"/> if it is a valid architecture, else an <see cref="InvalidDataException"/> naming the field.</summary>
    /// <param name="kind">The payload kind, for the message.</param>
    /// <param name="spec">The spec read.</param>
    internal static NetworkSpec Validated(string kind, NetworkSpec spec)
    {
        try
        {
            spec.Validate();
            return spec;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{kind} payload: invalid architecture in the spec ('{e.ParamName}'): {e.Message}", e);
        }
    }

    /// <summary>Whether two specs describe the same network (their records are equal byte for byte).</summary>
    public static bool Same(NetworkSpec a, NetworkSpec b)
    {
        var wa = new PayloadWriter("Spec", 0);
        Write(wa, a);
        var wb = new PayloadWriter("Spec", 0);
        Write(wb, b);
        return wa.ToArray().AsSpan().SequenceEqual(wb.ToArray());
    }
}
