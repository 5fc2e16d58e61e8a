using MLNetBackprop.Engine;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>
/// A trained MLP as its prediction transformer holds it: the network, the feature normalisation
/// learned from the training data, the label scaling (regression) and the training history.
/// Scoring is thread-safe: each caller uses its own <see cref="InferenceNetwork.Scratch"/>.
/// </summary>
public sealed class MlpModelParameters
{
    internal MlpModelParameters(Network network, FeatureTransform features, float labelMean, float labelScale, TrainingHistory? history)
        : this([network], features, labelMean, labelScale, [history ?? new TrainingHistory()])
    {
    }

    /// <summary>An ensemble: members of one architecture whose predictions are averaged (see <see cref="EnsembleAverage"/>).</summary>
    internal MlpModelParameters(IReadOnlyList<Network> members, FeatureTransform features, float labelMean, float labelScale, IReadOnlyList<TrainingHistory> histories)
    {
        if (members.Count < 1) throw new ArgumentException("A model has at least one network.", nameof(members));
        if (histories.Count != members.Count) throw new ArgumentException($"{members.Count} members but {histories.Count} histories.", nameof(histories));
        foreach (var m in members)
            if (!SameArchitecture(m.Spec, members[0].Spec))
                throw new ArgumentException("Every member of an ensemble has the same architecture.", nameof(members));
        if (features.Count != members[0].InputSize)
            throw new ArgumentException($"The feature transform has {features.Count} features; the network takes {members[0].InputSize}.", nameof(features));
        Members = [.. members];
        Features = features;
        LabelMean = labelMean;
        LabelScale = labelScale;
        MemberHistories = [.. histories];
        // A model's networks are never trained again (warm start copies them), so scoring may share their weights.
        Inferences = Members.Select(n => new InferenceNetwork(n, shareWeights: true)).ToArray();
        WarmUp();
    }

    /// <summary>
    /// Scores one row of zeros and throws the result away, so that the scoring path's code is compiled when the model
    /// is built or loaded — at a service's start-up — rather than during its first request (cold start: issue 13).
    /// </summary>
    private void WarmUp()
    {
        var scratch = new Scratch(this);
        var output = new float[OutputSize];
        Forward(new float[InputSize], output, scratch);
        ApplyLink(output);
    }

    /// <summary>Equal specs, comparing the hidden widths by value (a record compares arrays by reference).</summary>
    private static bool SameArchitecture(NetworkSpec a, NetworkSpec b) =>
        a.HiddenLayers.SequenceEqual(b.HiddenLayers) && (a with { HiddenLayers = b.HiddenLayers, ClassWeights = b.ClassWeights }) == b;

    /// <summary>The architecture (of every member).</summary>
    public NetworkSpec Spec => Network.Spec;

    /// <summary>Number of networks whose predictions are averaged (1 for a single network).</summary>
    public int EnsembleSize => Members.Length;

    /// <summary>Number of input features.</summary>
    public int InputSize => Network.InputSize;

    /// <summary>Number of outputs (classes for multiclass, 1 otherwise).</summary>
    public int OutputSize => Network.OutputSize;

    /// <summary>Per-feature offsets subtracted before the network: the means (standard normalisation), the medians (robust), or 0 (none).</summary>
    public IReadOnlyList<float> FeatureMeans => Features.Offsets;

    /// <summary>Per-feature factors applied after subtracting the offset: 1/σ (standard), 1/IQR or 0 for a constant feature (robust), or 1 (none).</summary>
    public IReadOnlyList<float> FeatureScales => Features.Scales;

    /// <summary>True when the scaled features are smooth-clipped, x/√(1 + (x/3)²) (robust normalisation).</summary>
    public bool FeaturesSmoothClipped => Features.SmoothClip;

    /// <summary>The map from raw to network features.</summary>
    internal FeatureTransform Features { get; }

    /// <summary>Regression: the training-label mean added back to the network's output (0 otherwise).</summary>
    public float LabelMean { get; }

    /// <summary>Regression: the training-label standard deviation the output is multiplied by (1 otherwise).</summary>
    public float LabelScale { get; }

    /// <summary>
    /// The per-epoch history of the training run — of the first member for an ensemble (see <see cref="MemberHistories"/>);
    /// saved with the model; empty for a model file written before the history was saved.
    /// </summary>
    public TrainingHistory History => MemberHistories[0];

    /// <summary>The history of each member of the ensemble, in member order (one for a single network).</summary>
    public IReadOnlyList<TrainingHistory> MemberHistories { get; }

    /// <summary>The trained network (the first member of an ensemble).</summary>
    internal Network Network => Members[0];

    /// <summary>The trained networks (warm start continues from them).</summary>
    internal Network[] Members { get; }

    /// <summary>The compiled, thread-safe scoring form of the first member.</summary>
    internal InferenceNetwork Inference => Inferences[0];

    /// <summary>The compiled, thread-safe scoring form of each member.</summary>
    internal InferenceNetwork[] Inferences { get; }

    /// <summary>Per-caller buffers for <see cref="Forward"/>.</summary>
    internal sealed class Scratch(MlpModelParameters model)
    {
        public readonly float[] Features = new float[model.InputSize];
        public readonly InferenceNetwork.Scratch Network = model.Inference.CreateScratch();
        /// <summary>Each member's raw outputs (ensembles only).</summary>
        public readonly float[][] MemberOutputs = model.EnsembleSize == 1 ? [] : Enumerable.Range(0, model.EnsembleSize).Select(_ => new float[model.OutputSize]).ToArray();
    }

    /// <summary>Maps raw outputs to predictions in place: softmax, sigmoid, or label unscaling for regression.</summary>
    internal void ApplyLink(Span<float> output)
    {
        switch (Spec.Loss)
        {
            case LossKind.SoftmaxCrossEntropy or LossKind.SigmoidCrossEntropy: OutputLink.Apply(Spec.Loss, output); break;
            default:
                for (int i = 0; i < output.Length; i++) output[i] = output[i] * LabelScale + LabelMean;
                break;
        }
    }

    /// <summary>
    /// Raw outputs (logits) of one row after the feature transform; used for the binary margin. For an ensemble, the
    /// raw output whose link is the members' average prediction (<see cref="EnsembleAverage"/>).
    /// </summary>
    internal void Forward(ReadOnlySpan<float> features, Span<float> output, Scratch scratch)
    {
        var x = scratch.Features.AsSpan();
        Standardize(features, x);
        if (Members.Length == 1)
        {
            Inference.Forward(x, output, scratch.Network);
            return;
        }
        for (int m = 0; m < Members.Length; m++) Inferences[m].Forward(x, scratch.MemberOutputs[m], scratch.Network);
        EnsembleAverage.Combine(Spec.Loss, scratch.MemberOutputs, 0, output[..OutputSize]);
    }

    /// <summary>
    /// Adds the model's nodes to an ONNX graph — the feature map, each member's network, the ensemble's combination —
    /// and returns the raw outputs <see cref="Forward"/> gives, [rows, OutputSize] (the link is the caller's).
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="features">The raw feature vectors, [rows, InputSize].</param>
    internal string ExportOnnx(OnnxGraph graph, string features)
    {
        string x = Features.ExportOnnx(graph, features);
        var members = Inferences.Select((n, m) => n.ExportOnnx(graph, x, EnsembleSize == 1 ? "network" : $"member{m}")).ToArray();
        return EnsembleAverage.ExportOnnx(graph, Spec.Loss, members);
    }

    /// <summary>The network's input for one row (<see cref="FeatureTransform.Apply"/>); the single-row and the block scoring paths both go through here.</summary>
    internal void Standardize(ReadOnlySpan<float> features, Span<float> x) => Features.Apply(features, x);

    /// <summary>Per-caller buffers for scoring blocks of rows (<see cref="ForwardBatch"/>); not shared between threads.</summary>
    internal sealed class BatchScratch(MlpModelParameters model, int capacity)
    {
        /// <summary>Standardised features, capacity × InputSize: callers fill rows with <see cref="Standardize"/>.</summary>
        public readonly Matrix Features = new(capacity, model.InputSize);
        /// <summary>Raw outputs, capacity × OutputSize.</summary>
        public readonly Matrix Logits = new(capacity, model.OutputSize);
        public readonly InferenceNetwork.BatchScratch Network = model.Inference.CreateBatchScratch(capacity);
        /// <summary>Each member's raw outputs, capacity × OutputSize (ensembles only).</summary>
        public readonly Matrix[] MemberLogits = model.EnsembleSize == 1 ? [] : Enumerable.Range(0, model.EnsembleSize).Select(_ => new Matrix(capacity, model.OutputSize)).ToArray();
        public float[][] MemberData => _memberData ??= MemberLogits.Select(l => l.Data).ToArray();
        private float[][]? _memberData;
        public int Capacity => Network.Capacity;
    }

    /// <summary>Raw outputs of the first <paramref name="rows"/> standardised rows of <c>scratch.Features</c> into
    /// <c>scratch.Logits</c>, bit-identical to <see cref="Forward"/> row by row.</summary>
    internal void ForwardBatch(int rows, BatchScratch scratch)
    {
        if (Members.Length == 1)
        {
            Inference.ForwardBatch(scratch.Features, rows, scratch.Logits, scratch.Network);
            return;
        }
        for (int m = 0; m < Members.Length; m++) Inferences[m].ForwardBatch(scratch.Features, rows, scratch.MemberLogits[m], scratch.Network);
        int n = OutputSize;
        for (int r = 0; r < rows; r++) EnsembleAverage.Combine(Spec.Loss, scratch.MemberData, r * n, scratch.Logits.Row(r));
    }
}
