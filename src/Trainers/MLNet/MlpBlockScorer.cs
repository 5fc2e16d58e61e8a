using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Block scoring for one unshuffled <c>Transform</c> cursor: when the cursor has read a block of rows ahead (once —
/// <see cref="BlockAppendedCursor"/>), their features are normalised and scored with one batched forward (one product
/// per layer), and the getters take the served row's outputs from the block. Bit-identical to the per-row path
/// (<see cref="Engine.InferenceNetwork.ForwardBatch"/>), so consumers cannot tell which one served a row.
/// </summary>
/// <remarks>
/// Memory per cursor is bounded by block × (features + 2 × widest layer + 2 × outputs) floats (≤ 8 MB): wide models get
/// smaller blocks. A row whose feature vector has the wrong length is left out of the block's product; reading its
/// outputs throws the per-row path's error, naming the column and the row.
/// </remarks>
internal sealed class MlpBlockScorer
{
    /// <summary>Largest block.</summary>
    internal const int MaxBlock = 1024;

    private const long FloatBudget = 2L << 20;

    private readonly MlpModelParameters _model;
    private readonly IRowBlock _block;
    private readonly DataViewSchema.Column _feature;
    private readonly int _inputs;
    private readonly int _outputs;
    private MlpModelParameters.BatchScratch? _scratch;
    private float[] _logits = [];
    private float[] _linked = [];
    private int[] _badLength = [];  // per block row: the wrong vector length, or −1 when the row was scored
    private float[]? _dense;

    /// <summary>Scores the blocks of <paramref name="block"/>, reading feature column <paramref name="feature"/>.</summary>
    public MlpBlockScorer(MlpModelParameters model, IRowBlock block, DataViewSchema.Column feature)
    {
        _model = model;
        _block = block;
        _feature = feature;
        _inputs = model.InputSize;
        _outputs = model.OutputSize;
        int widest = Math.Max(_outputs, model.Spec.HiddenLayers.DefaultIfEmpty(0).Max());
        long perRow = _inputs + 2L * widest + 2L * _outputs;
        MaxRows = (int)Math.Clamp(FloatBudget / perRow, 16, MaxBlock);
    }

    /// <summary>The most rows per block.</summary>
    public int MaxRows { get; }

    /// <summary>Scores the first <paramref name="rows"/> rows of the block (called once per filled block).</summary>
    public void Compute(int rows)
    {
        if (_scratch is null || _scratch.Capacity < rows)
        {
            _scratch = new MlpModelParameters.BatchScratch(_model, rows);
            _logits = new float[rows * _outputs];
            _linked = new float[rows * _outputs];
            _badLength = new int[rows];
        }
        var features = _block.Values<VBuffer<float>>(_feature);
        var x = _scratch.Features;
        // The rows with a vector of the right length go into the product, packed; the others are remembered.
        Span<int> packedRow = rows <= 1024 ? stackalloc int[rows] : new int[rows];
        int packed = 0;
        for (int r = 0; r < rows; r++)
        {
            ref readonly var buffer = ref features[r];
            if (buffer.Length != _inputs)
            {
                _badLength[r] = buffer.Length;
                continue;
            }
            _badLength[r] = -1;
            ReadOnlySpan<float> values;
            if (buffer.IsDense) values = buffer.GetValues();
            else
            {
                _dense ??= new float[_inputs];
                buffer.CopyTo(_dense);
                values = _dense;
            }
            _model.Standardize(values, x.Row(packed));
            packedRow[packed++] = r;
        }
        if (packed == 0) return;
        _model.ForwardBatch(packed, _scratch);
        for (int k = 0; k < packed; k++)
        {
            int r = packedRow[k];
            var logits = _logits.AsSpan(r * _outputs, _outputs);
            _scratch.Logits.Row(k).CopyTo(logits);
            var linked = _linked.AsSpan(r * _outputs, _outputs);
            logits.CopyTo(linked);
            _model.ApplyLink(linked);
        }
    }

    /// <summary>The raw and linked outputs of block row <paramref name="row"/>.</summary>
    /// <exception cref="InvalidOperationException">The row's feature vector had the wrong length.</exception>
    public void Get(int row, Span<float> logits, Span<float> output)
    {
        if (_badLength[row] >= 0)
            throw new InvalidOperationException($"Feature column '{_feature.Name}', row {_block.StartPosition + row}: the vector has {_badLength[row]} values; the model expects {_inputs}.");
        _logits.AsSpan(row * _outputs, _outputs).CopyTo(logits);
        _linked.AsSpan(row * _outputs, _outputs).CopyTo(output);
    }
}
