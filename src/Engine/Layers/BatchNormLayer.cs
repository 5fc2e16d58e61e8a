namespace MLNetBackprop.Engine;

/// <summary>
/// Batch normalisation over the rows of a mini-batch, with torch's <c>BatchNorm1d</c> semantics:
/// in training y = γ·(x − μ_B)/√(σ²_B + ε) + β with the batch mean and the <b>biased</b> batch variance,
/// then running_mean ← (1 − m)·running_mean + m·μ_B and running_var ← (1 − m)·running_var + m·s²_B
/// with the <b>unbiased</b> variance s²_B (divisor n − 1). At inference the running statistics
/// replace the batch ones. Per-column sums are taken in float64.
/// </summary>
public sealed class BatchNormLayer : Layer
{
    private readonly double[] _mean;
    private readonly double[] _variance;
    private readonly double[] _inverseStd;
    private readonly double[] _sumGradient;
    private readonly double[] _sumGradientNormalized;
    private Matrix? _normalized;
    private Matrix? _output;
    private Matrix? _inputGradient;
    private bool _lastWasTraining;
    private bool _hasForward;

    /// <summary>Creates the layer: γ = 1, β = 0, running mean 0, running variance 1.</summary>
    /// <param name="width">Number of features.</param>
    /// <param name="name">Prefix of the parameter names (<c>{name}.weight</c> for γ, <c>{name}.bias</c> for β).</param>
    /// <param name="epsilon">ε added to the variance (torch's 1e-5).</param>
    /// <param name="momentum">Weight of the new batch in the running statistics (torch's 0.1).</param>
    public BatchNormLayer(int width, string name, float epsilon = 1e-5f, float momentum = 0.1f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentNullException.ThrowIfNull(name);
        if (!(epsilon > 0) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be positive.");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must lie in [0, 1].");
        Width = width;
        Name = name;
        Epsilon = epsilon;
        Momentum = momentum;
        Gamma = new Parameter(name + ".weight", width, isWeight: false);
        Beta = new Parameter(name + ".bias", width, isWeight: false);
        Gamma.Value.AsSpan().Fill(1f);
        Parameters = [Gamma, Beta];
        RunningMean = new float[width];
        RunningVariance = new float[width];
        RunningVariance.AsSpan().Fill(1f);
        _mean = new double[width];
        _variance = new double[width];
        _inverseStd = new double[width];
        _sumGradient = new double[width];
        _sumGradientNormalized = new double[width];
    }

    /// <summary>Number of features.</summary>
    public int Width { get; }

    /// <summary>The prefix of the parameter names.</summary>
    public string Name { get; }

    /// <summary>ε added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Weight of the new batch in the running statistics.</summary>
    public float Momentum { get; }

    /// <summary>γ, the scale (not a weight for L2 purposes).</summary>
    public Parameter Gamma { get; }

    /// <summary>β, the shift.</summary>
    public Parameter Beta { get; }

    /// <summary>The running mean used at inference; mutable so a saved model can be restored.</summary>
    public float[] RunningMean { get; }

    /// <summary>The running (unbiased) variance used at inference; mutable so a saved model can be restored.</summary>
    public float[] RunningVariance { get; }

    /// <inheritdoc />
    public override IReadOnlyList<float[]> StateBuffers => _state ??= [RunningMean, RunningVariance];

    private float[][]? _state;

    /// <summary>Storage of <see cref="BatchesTracked"/>, which is this layer's one counter (<see cref="Counters"/>).</summary>
    private readonly long[] _counters = new long[1];

    /// <summary>Training batches seen so far (torch's <c>num_batches_tracked</c>).</summary>
    public long BatchesTracked
    {
        get => _counters[0];
        set => _counters[0] = value;
    }

    /// <inheritdoc />
    internal override Span<long> Counters => _counters;

    /// <inheritdoc />
    public override int InputSize => Width;

    /// <inheritdoc />
    public override int OutputSize => Width;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The mean used by the last Forward (batch mean in training, running mean at inference).</summary>
    internal ReadOnlySpan<double> LastMean => _mean;

    /// <summary>The variance used to normalise in the last Forward (biased batch variance in training).</summary>
    internal ReadOnlySpan<double> LastVariance => _variance;

    /// <summary>
    /// The factor s = γ/√(σ² + ε) of inference-mode BatchNorm written as one affine map, y = (x − μ)·s + β: what scoring
    /// folds into the affine layer before it (<see cref="InferenceBuilder.FoldBatchNorm"/>) and what the BatchNormalize
    /// transform applies — one formula for both. (This layer's own forward normalises first, γ·((x − μ)/√(σ² + ε)) + β:
    /// the same map, rounded in another order.)
    /// </summary>
    /// <param name="gamma">γ.</param>
    /// <param name="variance">σ², the running (or stored) variance.</param>
    /// <param name="epsilon">ε.</param>
    internal static double InferenceScale(float gamma, double variance, float epsilon) => gamma / Math.Sqrt(variance + epsilon);

    /// <inheritdoc />
    public override Matrix Forward(Matrix input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Columns != Width) throw new ArgumentException($"Expected {Width} columns, got {input.Columns}.", nameof(input));
        int rows = input.Rows;
        if (training && rows == 0) throw new ArgumentException("A training batch needs at least one row.", nameof(input));

        if (training) ComputeBatchStatistics(input);
        else
            for (int j = 0; j < Width; j++) { _mean[j] = RunningMean[j]; _variance[j] = RunningVariance[j]; }
        for (int j = 0; j < Width; j++) _inverseStd[j] = 1.0 / Math.Sqrt(_variance[j] + Epsilon);

        var xhat = Matrix.Ensure(ref _normalized, rows, Width);
        var output = Matrix.Ensure(ref _output, rows, Width);
        var gamma = Gamma.Value;
        var beta = Beta.Value;
        for (int r = 0; r < rows; r++)
        {
            var x = input.Row(r);
            var n = xhat.Row(r);
            var y = output.Row(r);
            for (int j = 0; j < Width; j++)
            {
                double normalized = (x[j] - _mean[j]) * _inverseStd[j];
                n[j] = (float)normalized;
                y[j] = (float)(gamma[j] * normalized + beta[j]);
            }
        }

        if (training && rows > 1)
        {
            // The running variance takes the unbiased estimate. A one-row batch has none (torch
            // refuses such a batch in training); we normalise it but leave the running stats alone.
            double m = Momentum, unbias = rows / (rows - 1.0);
            for (int j = 0; j < Width; j++)
            {
                RunningMean[j] = (float)((1 - m) * RunningMean[j] + m * _mean[j]);
                RunningVariance[j] = (float)((1 - m) * RunningVariance[j] + m * _variance[j] * unbias);
            }
            BatchesTracked++;
        }
        _lastWasTraining = training;
        _hasForward = true;
        return output;
    }

    private void ComputeBatchStatistics(Matrix input)
    {
        int rows = input.Rows;
        Array.Clear(_mean);
        Array.Clear(_variance);
        for (int r = 0; r < rows; r++)
        {
            var x = input.Row(r);
            for (int j = 0; j < Width; j++) _mean[j] += x[j];
        }
        for (int j = 0; j < Width; j++) _mean[j] /= rows;
        // Two passes: the centred sum of squares is exact for a constant column (variance 0).
        for (int r = 0; r < rows; r++)
        {
            var x = input.Row(r);
            for (int j = 0; j < Width; j++)
            {
                double d = x[j] - _mean[j];
                _variance[j] += d * d;
            }
        }
        for (int j = 0; j < Width; j++) _variance[j] /= rows;
    }

    /// <inheritdoc />
    public override Matrix? Backward(Matrix outputGradient, bool needInputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (!_hasForward || _normalized is null) throw new InvalidOperationException("Backward called before Forward.");
        var xhat = _normalized;
        int rows = xhat.Rows;
        if (outputGradient.Columns != Width || outputGradient.Rows != rows)
            throw new ArgumentException($"Expected a {rows}×{Width} gradient, got {outputGradient.Rows}×{outputGradient.Columns}.", nameof(outputGradient));

        // Σ dY and Σ dY·x̂ per column, in float64: they are dβ and dγ, and both enter dX.
        var sumG = _sumGradient;
        var sumGx = _sumGradientNormalized;
        Array.Clear(sumG);
        Array.Clear(sumGx);
        for (int r = 0; r < rows; r++)
        {
            var g = outputGradient.Row(r);
            var n = xhat.Row(r);
            for (int j = 0; j < Width; j++)
            {
                sumG[j] += g[j];
                sumGx[j] += (double)g[j] * n[j];
            }
        }
        for (int j = 0; j < Width; j++)
        {
            Beta.Gradient[j] = (float)sumG[j];
            Gamma.Gradient[j] = (float)sumGx[j];
        }
        if (!needInputGradient) return null;

        var inputGradient = Matrix.Ensure(ref _inputGradient, rows, Width);
        var gamma = Gamma.Value;
        if (_lastWasTraining)
        {
            // dX = γ/(n·σ)·(n·dY − Σ dY − x̂·Σ dY·x̂): the mean and variance depend on every row.
            // A constant column has x̂ = 0 and σ = √ε, so this stays finite.
            double invN = 1.0 / rows;
            for (int r = 0; r < rows; r++)
            {
                var g = outputGradient.Row(r);
                var n = xhat.Row(r);
                var dx = inputGradient.Row(r);
                for (int j = 0; j < Width; j++)
                    dx[j] = (float)(gamma[j] * _inverseStd[j] * (g[j] - invN * (sumG[j] + n[j] * sumGx[j])));
            }
        }
        else
        {
            // Inference statistics are constants: the layer is a per-column affine map.
            for (int r = 0; r < rows; r++)
            {
                var g = outputGradient.Row(r);
                var dx = inputGradient.Row(r);
                for (int j = 0; j < Width; j++) dx[j] = (float)(g[j] * gamma[j] * _inverseStd[j]);
            }
        }
        return inputGradient;
    }

    /// <inheritdoc />
    internal override void CompileForInference(InferenceBuilder builder) => builder.FoldBatchNorm(this);
}
