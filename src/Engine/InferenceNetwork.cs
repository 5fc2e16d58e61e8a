using System.Runtime.CompilerServices;
using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>
/// A trained <see cref="Network"/> compiled for scoring: each hidden block is one affine map with
/// inference-mode BatchNorm folded into its weights (W′ = W·diag(s), b′ = (b − μ)·s + β, s = γ/√(σ² + ε)),
/// and a neural-tangent factor and a learnable input scale folded in too (W′ = diag(s)·c·W),
/// followed by the activation; dropout is the identity. Weights are read-only and shared, so one
/// instance serves any number of threads; each caller brings its own <see cref="Scratch"/>.
/// </summary>
public sealed class InferenceNetwork
{
    private readonly Block[] _blocks;

    /// <summary>The periodic embedding in front of the first block, if any (a frozen copy).</summary>
    private readonly PeriodicEmbeddingLayer? _embedding;

    /// <summary>One affine map + activation; W is stored inputs × Stride with zero padding columns
    /// (Stride = Outputs rounded up to a whole Vector512), b is Stride long; <c>DenseWeight</c> is the same
    /// W unpadded (inputs × Outputs), the B operand of the block product.</summary>
    private sealed record Block(float[] Weight, float[] DenseWeight, float[] Bias, int Inputs, int Outputs, int Stride, ActivationLayer? Scorer)
    {
        /// <summary>What the product applies before the store (ReLU, leaky ReLU), as the layer says (read once: scoring asks per row).</summary>
        public FusedActivation FusedKind { get; } = Scorer?.Fused ?? FusedActivation.None;

        /// <summary>The slope of a fused leaky ReLU, as the layer says.</summary>
        public float LeakySlope { get; } = Scorer?.FusedSlope ?? 0f;

        /// <summary>Whether the activation runs after the product (the layer's own forward).</summary>
        public bool ScoredAfter { get; } = Scorer?.ScoresItself ?? false;
    }

    private static Block Pad(float[] w, float[] b, int inputs, int outputs, ActivationLayer? activation)
    {
        int stride = Kernels.PaddedColumns(outputs);
        if (stride == outputs) return new Block(w, w, b, inputs, outputs, stride, activation); // already padded: one array serves both
        var pw = new float[inputs * stride];
        var pb = new float[stride];
        for (int i = 0; i < inputs; i++) w.AsSpan(i * outputs, outputs).CopyTo(pw.AsSpan(i * stride));
        b.AsSpan(0, outputs).CopyTo(pb);
        return new Block(pw, w, pb, inputs, outputs, stride, activation);
    }

    /// <summary>Compiles <paramref name="network"/> (a snapshot: later training does not change it).</summary>
    /// <param name="network">The trained network.</param>
    public InferenceNetwork(Network network)
        : this(network, shareWeights: false)
    {
    }

    /// <summary>
    /// Compiles <paramref name="network"/>; with <paramref name="shareWeights"/> a weight matrix that needs no folding
    /// is used in place rather than copied — for a network that is never trained again (a trained or loaded model's),
    /// so that holding a model costs its weights once.
    /// </summary>
    internal InferenceNetwork(Network network, bool shareWeights)
    {
        ArgumentNullException.ThrowIfNull(network);
        var builder = InferenceBuilder.Compile(network.Layers, shareWeights);
        _embedding = builder.Embedding;
        _blocks = [.. builder.Blocks.Select(bl => Pad(bl.W, bl.B, bl.Inputs, bl.Outputs, bl.Activation))];
        InputSize = network.InputSize;
        OutputSize = network.OutputSize;
        Link = network.Spec.Loss;
        MaxWidth = _blocks.Max(bl => bl.Stride);
        MaxOutputs = _blocks.Max(bl => bl.Outputs);
    }

    /// <summary>
    /// The largest factor by which one layer can scale the magnitude of its input: for each block
    /// max(G, f(G)) with G = maxⱼ Σᵢ|wᵢⱼ| + |bⱼ| and f the activation's bound (<see cref="ActivationLayer.OutputBound"/>),
    /// for the embedding max(1, maxₒ Σₖ|Vₖₒ| + |aₒ|) — or +∞ when its phase 2π·w·x + b could overflow for an input
    /// within ±<paramref name="inputBound"/>. A trained layer's factor is at most about 10⁴ (BatchNorm folded in); one of
    /// 10¹⁸ turns a clamped input (±10²⁰) into ±∞ by itself, and then NaN: such a file does not hold a trained network.
    /// </summary>
    /// <param name="inputBound">The largest input magnitude the network is given.</param>
    /// <returns>The largest factor, and the 0-based block that has it (−1 for the embedding).</returns>
    internal (double Gain, int Block) LargestLayerGain(double inputBound)
    {
        double largest = 0;
        int where = 0;
        if (_embedding is not null) (largest, where) = (Math.Max(1, _embedding.OutputBound(inputBound) / Math.Max(1, inputBound)), -1);
        for (int k = 0; k < _blocks.Length; k++)
        {
            var block = _blocks[k];
            double pre = 0;
            for (int j = 0; j < block.Outputs; j++)
            {
                double sum = Math.Abs((double)block.Bias[j]);
                for (int i = 0; i < block.Inputs; i++) sum += Math.Abs((double)block.DenseWeight[i * block.Outputs + j]);
                pre = Math.Max(pre, sum);
            }
            double gain = block.Scorer is { } activation ? Math.Max(pre, activation.OutputBound(pre)) : pre;
            if (!(gain <= largest)) (largest, where) = (gain, k); // NaN counts as largest
        }
        return (largest, where);
    }

    /// <summary>Number of input features.</summary>
    public int InputSize { get; }

    /// <summary>Number of outputs.</summary>
    public int OutputSize { get; }

    /// <summary>The loss whose link (softmax, sigmoid or identity) <see cref="Predict"/> applies.</summary>
    public LossKind Link { get; }

    private int MaxWidth { get; }

    private int MaxOutputs { get; }

    /// <summary>Per-caller work buffers; not shared between threads.</summary>
    public sealed class Scratch
    {
        internal Scratch(int width, PeriodicEmbeddingLayer? embedding)
        {
            A = new float[width];
            B = new float[width];
            int phases = embedding is null ? 0 : embedding.Embedded.Count * embedding.Frequencies;
            Embedded = new float[embedding?.OutputSize ?? 0];
            C = new float[phases];
        }

        internal float[] A { get; }

        internal float[] B { get; }

        /// <summary>The embedded row, and the embedding's cosines.</summary>
        internal float[] Embedded { get; }

        internal float[] C { get; }
    }

    /// <summary>Creates work buffers for one caller (one cursor, one thread).</summary>
    public Scratch CreateScratch() => new(MaxWidth, _embedding);

    /// <summary>Raw outputs (logits) of one row.</summary>
    /// <param name="features">InputSize values.</param>
    /// <param name="output">Receives OutputSize values.</param>
    /// <param name="scratch">This caller's buffers.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    public void Forward(ReadOnlySpan<float> features, Span<float> output, Scratch scratch)
    {
        if (features.Length != InputSize) throw new ArgumentException($"Expected {InputSize} features; got {features.Length}.", nameof(features));
        ReadOnlySpan<float> x = features;
        if (_embedding is not null)
        {
            _embedding.Embed(features, scratch.Embedded, scratch.C, default);
            x = scratch.Embedded;
        }
        float[] next = scratch.A;
        for (int bi = 0; bi < _blocks.Length; bi++)
        {
            var block = _blocks[bi];
            // x·W as ascending FMA chains in registers, then bias + (ReLU / leaky ReLU), into the padded scratch row.
            var y = next.AsSpan(0, block.Stride);
            var fused = block.FusedKind;
            Kernels.RowTimesPaddedMatrix(x, block.Weight, block.Bias, y, block.Stride, fused, block.LeakySlope);
            y = y[..block.Outputs];
            if (block.ScoredAfter) block.Scorer!.ScoreInPlace(y);
            x = y;
            next = next == scratch.A ? scratch.B : scratch.A;
        }
        x.CopyTo(output);
    }

    /// <summary>Outputs of one row after the link: class probabilities (softmax), a probability (sigmoid), or values.</summary>
    /// <param name="features">InputSize values.</param>
    /// <param name="output">Receives OutputSize values.</param>
    /// <param name="scratch">This caller's buffers.</param>
    public void Predict(ReadOnlySpan<float> features, Span<float> output, Scratch scratch)
    {
        Forward(features, output, scratch);
        OutputLink.Apply(Link, output[..OutputSize]);
    }

    /// <summary>Per-caller work buffers of <see cref="ForwardBatch"/> for up to <see cref="Capacity"/> rows; not shared between threads.</summary>
    public sealed class BatchScratch
    {
        internal BatchScratch(int capacity, int maxOutputs, int maxWidth, PeriodicEmbeddingLayer? embedding)
        {
            Capacity = capacity;
            A = new float[capacity * maxOutputs];
            B = new float[capacity * maxOutputs];
            Row = new float[maxWidth];
            Rows = new Scratch(0, embedding);
            Embedded = embedding is null ? [] : new float[capacity * embedding.OutputSize];
        }

        /// <summary>The embedding's per-row buffers.</summary>
        internal Scratch Rows { get; }

        /// <summary>capacity × the embedding's output width.</summary>
        internal float[] Embedded { get; }

        /// <summary>Most rows one <see cref="ForwardBatch"/> call may score with these buffers.</summary>
        public int Capacity { get; }

        internal float[] A { get; }

        internal float[] B { get; }

        internal float[] Row { get; }
    }

    /// <summary>Creates block buffers for one caller: capacity × (2 × widest layer) floats.</summary>
    /// <param name="capacity">Most rows per <see cref="ForwardBatch"/> call.</param>
    public BatchScratch CreateBatchScratch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        return new BatchScratch(capacity, MaxOutputs, MaxWidth, _embedding);
    }

    /// <summary>
    /// Raw outputs (logits) of a block of rows, bit-identical to <see cref="Forward"/> row by row: each layer is one
    /// <see cref="Kernels.MatMul"/> (whose every element is the same ascending-k FMA chain from +0 that
    /// <see cref="Forward"/> computes), then each row goes through the same bias + activation code as a single row,
    /// on a row of the same padded length.
    /// </summary>
    /// <param name="x">At least <paramref name="rows"/> × InputSize (extra rows ignored).</param>
    /// <param name="rows">Rows to score (at most the scratch capacity).</param>
    /// <param name="output">Receives rows × OutputSize values (rows × OutputSize row-major at the start of its data).</param>
    /// <param name="scratch">This caller's block buffers.</param>
    public void ForwardBatch(Matrix x, int rows, Matrix output, BatchScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(scratch);
        if (x.Columns != InputSize) throw new ArgumentException($"Expected {InputSize} columns; got {x.Columns}.", nameof(x));
        if (output.Columns != OutputSize) throw new ArgumentException($"Expected {OutputSize} columns; got {output.Columns}.", nameof(output));
        if (rows < 0 || rows > x.Rows || rows > output.Rows || rows > scratch.Capacity) throw new ArgumentOutOfRangeException(nameof(rows));
        if (rows == 0) return;
        float[] input = x.Data;
        if (_embedding is not null)
        {
            int width = _embedding.OutputSize;
            for (int r = 0; r < rows; r++)
                _embedding.Embed(x.Row(r), scratch.Embedded.AsSpan(r * width, width), scratch.Rows.C, default);
            input = scratch.Embedded;
        }
        float[] next = scratch.A;
        for (int bi = 0; bi < _blocks.Length; bi++)
        {
            var block = _blocks[bi];
            float[] c = bi == _blocks.Length - 1 ? output.Data : next;
            Kernels.MatMul(input, block.DenseWeight, c, rows, block.Inputs, block.Outputs);
            var fused = block.FusedKind;
            var row = scratch.Row.AsSpan(0, block.Stride);
            for (int r = 0; r < rows; r++)
            {
                var cr = c.AsSpan(r * block.Outputs, block.Outputs);
                cr.CopyTo(row);
                row[block.Outputs..].Clear();
                Kernels.BiasActivate(row, block.Bias, fused, block.LeakySlope);
                if (block.ScoredAfter) block.Scorer!.ScoreInPlace(row[..block.Outputs]);
                row[..block.Outputs].CopyTo(cr);
            }
            input = c;
            next = next == scratch.A ? scratch.B : scratch.A;
        }
    }

    /// <summary>Outputs of a block of rows after the link, bit-identical to <see cref="Predict"/> row by row.</summary>
    /// <param name="x">At least <paramref name="rows"/> × InputSize.</param>
    /// <param name="rows">Rows to score.</param>
    /// <param name="output">Receives rows × OutputSize values.</param>
    /// <param name="scratch">This caller's block buffers.</param>
    public void PredictBatch(Matrix x, int rows, Matrix output, BatchScratch scratch)
    {
        ForwardBatch(x, rows, output, scratch);
        for (int r = 0; r < rows; r++) OutputLink.Apply(Link, output.Row(r));
    }

    /// <summary>
    /// Adds this network's nodes to an ONNX graph — the same blocks <see cref="Forward"/> computes: the embedding, then
    /// per block Gemm(x, W′, b′) with the folded weights and the activation — and returns the raw outputs (logits).
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="x">The network's input, [rows, InputSize].</param>
    /// <param name="name">Prefix of the values' names.</param>
    internal string ExportOnnx(IOnnxGraph graph, string x, string name)
    {
        if (_embedding is not null) x = _embedding.ExportOnnx(graph, x, name + ".embedding");
        for (int bi = 0; bi < _blocks.Length; bi++)
        {
            var block = _blocks[bi];
            string w = graph.Constant(block.DenseWeight, block.Inputs, block.Outputs);
            string b = graph.Constant(block.Bias[..block.Outputs], block.Outputs);
            x = graph.Node("Gemm", [x, w, b], $"{name}.affine{bi}");
            if (block.Scorer is { } activation) x = activation.ExportOnnx(graph, x);
        }
        return x;
    }
}
