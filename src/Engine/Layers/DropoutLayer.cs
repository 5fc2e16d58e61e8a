namespace MLNetBackprop.Engine;

/// <summary>
/// Inverted dropout: in training each unit is kept with probability 1 − p and kept units are
/// scaled by 1/(1 − p), so inference is the identity. The mask is a pure function of the key
/// (seed, <see cref="RandomPurpose.Dropout"/>, epoch, batch, layer index) set by
/// <see cref="SetRandomKey"/>: the same key always gives the same mask, which is what gradient
/// checks and exact resumption need. The key does not advance by itself; the trainer sets it
/// before each batch.
/// </summary>
public sealed class DropoutLayer : Layer
{
    private Matrix? _mask;
    private Matrix? _output;
    private Matrix? _inputGradient;
    private bool _masked;
    private bool _hasForward;
    private long _seed;
    private long _epoch;
    private long _batch;

    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    /// <param name="rate">The drop probability p, in [0, 1]; p = 0 is the identity, p = 1 zeroes everything in training.</param>
    /// <param name="layerIndex">Position of the layer in the network; part of the mask's random key so layers differ.</param>
    public DropoutLayer(int width, float rate, int layerIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (!(rate >= 0f && rate <= 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must lie in [0, 1].");
        Width = width;
        Rate = rate;
        LayerIndex = layerIndex;
    }

    /// <summary>Number of units.</summary>
    public int Width { get; }

    /// <summary>The drop probability p.</summary>
    public float Rate { get; }

    /// <summary>The layer's index in the random key.</summary>
    public int LayerIndex { get; }

    /// <inheritdoc />
    public override int InputSize => Width;

    /// <inheritdoc />
    public override int OutputSize => Width;

    /// <summary>Sets the key of the next training masks; until it changes, every training Forward draws the same mask.</summary>
    /// <param name="seed">The training seed.</param>
    /// <param name="epoch">Epoch counter.</param>
    /// <param name="batch">Batch counter within the epoch.</param>
    public void SetRandomKey(long seed, long epoch, long batch)
    {
        _seed = seed;
        _epoch = epoch;
        _batch = batch;
    }

    /// <inheritdoc />
    public override Matrix Forward(Matrix input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Columns != Width) throw new ArgumentException($"Expected {Width} columns, got {input.Columns}.", nameof(input));
        int rows = input.Rows;
        var output = Matrix.Ensure(ref _output, rows, Width);
        _masked = training && Rate > 0f;
        _hasForward = true;
        if (!_masked)
        {
            input.Span.CopyTo(output.Span);
            return output;
        }

        var mask = Matrix.Ensure(ref _mask, rows, Width).Span;
        var rng = new CounterRandom(_seed, (long)RandomPurpose.Dropout, _epoch, _batch, LayerIndex);
        float keep = 1f - Rate;
        // p = 1 keeps nothing; avoid 1/0.
        float scale = keep > 0f ? 1f / keep : 0f;
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextSingle() >= Rate ? scale : 0f;
        Kernels.ApplyMask(mask, input.Span, output.Span);
        return output;
    }

    /// <inheritdoc />
    public override Matrix? Backward(Matrix outputGradient, bool needInputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (!_hasForward || _output is null) throw new InvalidOperationException("Backward called before Forward.");
        if (outputGradient.Columns != Width || outputGradient.Rows != _output.Rows)
            throw new ArgumentException($"Expected a {_output.Rows}×{Width} gradient, got {outputGradient.Rows}×{outputGradient.Columns}.", nameof(outputGradient));
        if (!needInputGradient) return null;
        var inputGradient = Matrix.Ensure(ref _inputGradient, outputGradient.Rows, Width);
        if (_masked) Kernels.ApplyMask(_mask!.Span, outputGradient.Span, inputGradient.Span);
        else outputGradient.Span.CopyTo(inputGradient.Span);
        return inputGradient;
    }

    /// <inheritdoc />
    /// <remarks>Dropout is the identity at inference: nothing to score.</remarks>
    internal override void CompileForInference(InferenceBuilder builder) { }
}
