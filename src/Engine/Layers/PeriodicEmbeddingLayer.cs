using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>
/// Periodic embeddings of numeric features, RealMLP's "PBLD" form of Gorishniy et al.'s PLR embeddings (NeurIPS 2022):
/// each embedded feature x becomes [e₁ … e_q, x] with
/// uₖ = 2π·wₖ·x + bₖ (k = 1…p frequencies), cₖ = cos uₖ, e_o = Σₖ cₖ·Vₖₒ + aₒ,
/// so the network gets learnable periodic bases in which thresholds and bumps on one feature are linear — what a tree
/// finds with a split. Features that are not embedded (one-hot levels, binary flags) pass through as they are. The output
/// keeps the input order: an embedded feature's q values, then the feature itself.
/// <para>
/// Backward, per embedded feature and row: dV = c ⊗ dE, da = dE, dc = V·dE, du = −sin(u) ∘ dc, dw = 2π·x·du, db = du,
/// dx = dY[x] + 2π·Σₖ wₖ·duₖ. Initialisation: w ~ N(0, σ²) with σ = <see cref="FrequencyScale"/>, b ~ U(−π, π),
/// V and a ~ U(±1/√p) (nn.Linear's); every parameter learns at <see cref="LearningRateFactor"/>× the rate.
/// </para>
/// </summary>
public sealed class PeriodicEmbeddingLayer : Layer
{
    /// <summary>σ of the initial frequencies (RealMLP's 0.1: slow waves first; the inputs are robust-scaled to about ±3).</summary>
    public const double FrequencyScale = 0.1;

    /// <summary>The learning-rate factor of every embedding parameter (RealMLP's 0.1).</summary>
    public const double LearningRateFactor = 0.1;

    private readonly int[] _embedded;      // sorted feature indices
    private readonly int[] _passThrough;   // per input feature: where the feature itself sits in the output row
    private Matrix? _input;
    private Matrix? _output;
    private Matrix? _inputGradient;
    private readonly int[] _start;         // per embedded feature: where its q outputs start in the output row
    private float[] _cosines = [];         // rows × m × p: cos u
    private float[] _sines = [];           // rows × m × p: sin u

    /// <summary>Creates the layer with zero parameters; <see cref="Initialize"/> draws them.</summary>
    /// <param name="width">Number of input features.</param>
    /// <param name="embedded">The indices of the features to embed (distinct, in [0, width)).</param>
    /// <param name="frequencies">p, frequencies per embedded feature (≥ 1).</param>
    /// <param name="outputs">q, learned values per embedded feature (≥ 1).</param>
    /// <param name="name">Prefix of the parameter names.</param>
    public PeriodicEmbeddingLayer(int width, IReadOnlyList<int> embedded, int frequencies, int outputs, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frequencies);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        ArgumentNullException.ThrowIfNull(embedded);
        ArgumentNullException.ThrowIfNull(name);
        _embedded = [.. embedded.Order()];
        for (int i = 0; i < _embedded.Length; i++)
            if (_embedded[i] < 0 || _embedded[i] >= width || (i > 0 && _embedded[i] == _embedded[i - 1]))
                throw new ArgumentOutOfRangeException(nameof(embedded), _embedded[i], $"Embedded features must be distinct indices in [0, {width}).");
        InputSize = width;
        Frequencies = frequencies;
        Outputs = outputs;
        var outputStart = new int[width];
        _passThrough = new int[width];
        int at = 0;
        for (int j = 0, e = 0; j < width; j++)
        {
            outputStart[j] = at;
            bool isEmbedded = e < _embedded.Length && _embedded[e] == j;
            if (isEmbedded) e++;
            _passThrough[j] = at + (isEmbedded ? outputs : 0);
            at += isEmbedded ? outputs + 1 : 1;
        }
        OutputSize = at;
        _start = [.. _embedded.Select(j => outputStart[j])];
        int m = _embedded.Length;
        Frequency = new Parameter(name + ".frequency", checked(m * frequencies), isWeight: false, LearningRateFactor);
        Phase = new Parameter(name + ".phase", checked(m * frequencies), isWeight: false, LearningRateFactor);
        Mixing = new Parameter(name + ".weight", checked(m * outputs * frequencies), isWeight: false, LearningRateFactor);
        Bias = new Parameter(name + ".bias", checked(m * outputs), isWeight: false, LearningRateFactor);
        Parameters = [Frequency, Phase, Mixing, Bias];
    }

    /// <inheritdoc />
    public override int InputSize { get; }

    /// <inheritdoc />
    public override int OutputSize { get; }

    /// <summary>p, frequencies per embedded feature.</summary>
    public int Frequencies { get; }

    /// <summary>q, learned values per embedded feature.</summary>
    public int Outputs { get; }

    /// <summary>The embedded feature indices, ascending.</summary>
    public IReadOnlyList<int> Embedded => _embedded;

    /// <summary>w, m × p (m embedded features).</summary>
    public Parameter Frequency { get; }

    /// <summary>b, m × p.</summary>
    public Parameter Phase { get; }

    /// <summary>V, m × q × p (feature, output, frequency).</summary>
    public Parameter Mixing { get; }

    /// <summary>a, m × q.</summary>
    public Parameter Bias { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// The largest magnitude an output can take when every input lies within ±<paramref name="inputBound"/>: a pass-through
    /// feature is its input, an embedded value Σₖ|Vₖₒ| + |aₒ| (cosines are within ±1) — or +∞ when a phase 2π·w·x + b could
    /// overflow float, where the cosine would be NaN (or when a parameter is NaN). Computed in double.
    /// </summary>
    /// <param name="inputBound">The largest input magnitude.</param>
    public double OutputBound(double inputBound)
    {
        double phase = 0;
        for (int i = 0; i < Frequency.Length; i++)
            phase = Math.Max(phase, 2 * Math.PI * Math.Abs((double)Frequency.Value[i]) * inputBound + Math.Abs((double)Phase.Value[i]));
        if (!(phase < float.MaxValue)) return double.PositiveInfinity;
        double bound = inputBound;
        for (int o = 0; o < Bias.Length; o++) // o = feature·q + output; its p mixing weights are contiguous
        {
            double sum = Math.Abs((double)Bias.Value[o]);
            for (int k = 0; k < Frequencies; k++) sum += Math.Abs((double)Mixing.Value[o * Frequencies + k]);
            bound = Math.Max(bound, sum);
        }
        return bound;
    }

    /// <summary>Draws the initial parameters (frequencies, phases, mixing weights, biases, in that order).</summary>
    /// <param name="rng">The random stream, advanced by the draws.</param>
    public void Initialize(ref CounterRandom rng)
    {
        for (int i = 0; i < Frequency.Length; i++) Frequency.Value[i] = (float)(FrequencyScale * rng.NextGaussian());
        for (int i = 0; i < Phase.Length; i++) Phase.Value[i] = (float)(Math.PI * (2 * rng.NextDouble() - 1));
        double bound = 1 / Math.Sqrt(Frequencies);
        for (int i = 0; i < Mixing.Length; i++) Mixing.Value[i] = (float)(bound * (2 * rng.NextDouble() - 1));
        for (int i = 0; i < Bias.Length; i++) Bias.Value[i] = (float)(bound * (2 * rng.NextDouble() - 1));
    }

    /// <inheritdoc />
    public override Matrix Forward(Matrix input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Columns != InputSize) throw new ArgumentException($"Expected {InputSize} columns, got {input.Columns}.", nameof(input));
        _input = input;
        int rows = input.Rows, block = _embedded.Length * Frequencies;
        var output = Matrix.Ensure(ref _output, rows, OutputSize);
        EnsureCapacity(ref _cosines, rows * block);
        EnsureCapacity(ref _sines, rows * block);
        // Whole blocks of 16 rows with the rows across the vector lanes (no reductions across lanes; the same values);
        // the rest row by row.
        int r0 = 0;
        if (Kernels.CanEmbedBlocks(Frequencies, Outputs))
            for (; r0 + Kernels.EmbedBlockRows <= rows; r0 += Kernels.EmbedBlockRows)
            {
                for (int r = r0; r < r0 + Kernels.EmbedBlockRows; r++) PassThrough(input.Row(r), output.Row(r));
                Kernels.PeriodicEmbedBlock16(input.Data, InputSize, r0, _embedded, _start, Frequency.Value, Phase.Value, Mixing.Value, Bias.Value,
                    Frequencies, Outputs, output.Data, OutputSize, _cosines, _sines);
            }
        for (int r = r0; r < rows; r++)
            Embed(input.Row(r), output.Row(r), _cosines.AsSpan(r * block, block), _sines.AsSpan(r * block, block));
        return output;
    }

    /// <summary>One row: y = [.., e(xⱼ), xⱼ, ..]; <paramref name="cosines"/> and <paramref name="sines"/> (m × p) receive cos u and sin u (sines may be empty).</summary>
    internal void Embed(ReadOnlySpan<float> x, Span<float> y, Span<float> cosines, Span<float> sines)
    {
        PassThrough(x, y);
        Kernels.PeriodicEmbedRow(x, _embedded, _start, Frequency.Value, Phase.Value, Mixing.Value, Bias.Value, Frequencies, Outputs, y, cosines, sines);
    }

    /// <summary>Every input feature's own value into its place in the output row.</summary>
    private void PassThrough(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int j = 0; j < x.Length; j++) y[_passThrough[j]] = x[j];
    }

    /// <summary>
    /// Adds this layer's scoring nodes to an ONNX graph: u = (2π·x_e)·w + b for the embedded features ([rows, m, p]),
    /// e = Σₖ cos(u)ₖ·Vₖ + a (one Einsum), then one Gather that lays the q values of each embedded feature and every
    /// feature itself out in this layer's output order.
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="x">The input, [rows, InputSize].</param>
    /// <param name="name">Prefix of the values' names.</param>
    /// <returns>The output, [rows, OutputSize].</returns>
    internal string ExportOnnx(IOnnxGraph graph, string x, string name)
    {
        int m = _embedded.Length, p = Frequencies, q = Outputs;
        string embedded = graph.Node("Gather", [x, graph.Constant(_embedded.Select(j => (long)j).ToArray(), m)], name + ".x",
            new OnnxAttributes().Int("axis", 1));
        string scaled = graph.Mul(embedded, graph.Scalar((float)(2 * Math.PI)));
        string column = graph.Node("Reshape", [scaled, graph.Constant([-1L, m, 1], 3)], name + ".x3");
        string u = graph.Add(graph.Mul(column, graph.Constant(Frequency.Value, m, p)), graph.Constant(Phase.Value, m, p), name + ".u");
        string c = graph.Unary("Cos", u, name + ".cos");
        string e = graph.Node("Einsum", [c, graph.Constant(Mixing.Value, m, q, p)], name + ".mix", new OnnxAttributes().String("equation", "nmk,mqk->nmq"));
        string values = graph.Add(e, graph.Constant(Bias.Value, m, q));
        string flat = graph.Node("Reshape", [values, graph.Constant([-1L, (long)m * q], 2)], name + ".e");
        string all = graph.Node("Concat", [flat, x], name + ".all", new OnnxAttributes().Int("axis", 1));
        var order = new long[OutputSize];
        for (int k = 0; k < m; k++)
            for (int o = 0; o < q; o++) order[_start[k] + o] = (long)k * q + o;
        for (int j = 0; j < InputSize; j++) order[_passThrough[j]] = (long)m * q + j;
        return graph.Node("Gather", [all, graph.Constant(order, OutputSize)], name, new OnnxAttributes().Int("axis", 1));
    }

    /// <summary>A copy with the same configuration and parameter values (the scoring network's frozen snapshot).</summary>
    public PeriodicEmbeddingLayer Snapshot()
    {
        var copy = new PeriodicEmbeddingLayer(InputSize, _embedded, Frequencies, Outputs, "snapshot");
        for (int i = 0; i < Parameters.Count; i++) Parameters[i].Value.CopyTo(copy.Parameters[i].Value, 0);
        return copy;
    }

    /// <inheritdoc />
    public override Matrix? Backward(Matrix outputGradient, bool needInputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (_input is null) throw new InvalidOperationException("Backward called before Forward.");
        int rows = _input.Rows, block = _embedded.Length * Frequencies;
        if (outputGradient.Columns != OutputSize || outputGradient.Rows != rows)
            throw new ArgumentException($"Expected a {rows}×{OutputSize} gradient, got {outputGradient.Rows}×{outputGradient.Columns}.", nameof(outputGradient));
        // Indexed: foreach over the IReadOnlyList would box an enumerator (an allocation per batch).
        for (int i = 0; i < Parameters.Count; i++) Parameters[i].Gradient.AsSpan().Clear();
        var inputGradient = needInputGradient ? Matrix.Ensure(ref _inputGradient, rows, InputSize) : null;
        for (int r = 0; r < rows; r++)
        {
            var dy = outputGradient.Row(r);
            Span<float> dx = default;
            if (inputGradient is not null)
            {
                dx = inputGradient.Row(r);
                for (int j = 0; j < InputSize; j++) dx[j] = dy[_passThrough[j]];
            }
            Kernels.PeriodicEmbedRowBackward(_input.Row(r), dy, _embedded, _start, Frequency.Value, Mixing.Value,
                _cosines.AsSpan(r * block, block), _sines.AsSpan(r * block, block), Frequencies, Outputs,
                Frequency.Gradient, Phase.Gradient, Mixing.Gradient, Bias.Gradient, dx);
        }
        return inputGradient;
    }

    private static void EnsureCapacity(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }

    /// <inheritdoc />
    internal override void CompileForInference(InferenceBuilder builder) => builder.SetEmbedding(Snapshot());
}
