using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop;

/// <summary>
/// Block scoring for one unshuffled cursor of a <c>Transform</c> view: a look-ahead cursor over the same source
/// (feature column only) reads the next rows' features, scores them with one batched forward (one GEMM per
/// layer), and the main cursor's getters take row i's outputs from the block. Bit-identical to the per-row
/// path (<see cref="Engine.InferenceNetwork.ForwardBatch"/>), so consumers cannot tell which one served a row.
/// </summary>
/// <remarks>
/// <para>Alignment: a block row is served only when the main cursor's position falls inside the block and its
/// row id equals the id the look-ahead read for that position. Any disagreement (a source whose two cursors see
/// different rows or orders), a position moving backwards, or the look-ahead ending early disables block scoring
/// for the rest of the cursor: <see cref="TryGet"/> returns false and the caller scores per row.</para>
/// <para>Blocks start at <see cref="FirstBlock"/> rows (the first rows come fast) and double up to
/// <see cref="MaxBlock"/>, or fewer for very wide models: memory per cursor is bounded by
/// block × (features + 2 × widest layer + 2 × outputs) floats (≤ 8 MB). Rows the consumer skips without reading an
/// output are stepped over by the look-ahead without being read or scored. A row whose feature vector has the wrong
/// length ends the block before it; the per-row path then reports it when (and if) that row is read.</para>
/// </remarks>
internal sealed class MlpBlockScorer : IDisposable
{
    /// <summary>Rows in the first block.</summary>
    internal const int FirstBlock = 64;

    /// <summary>Largest block.</summary>
    internal const int MaxBlock = 1024;

    private const long FloatBudget = 2L << 20;

    private readonly MlpModelParameters _model;
    private readonly IDataView _source;
    private readonly DataViewSchema.Column _feature;
    private readonly DataViewRow _main;
    private readonly int _max;
    private readonly int _inputs;
    private readonly int _outputs;
    private ValueGetter<DataViewRowId>? _mainId;
    private DataViewRowCursor? _look;
    private ValueGetter<VBuffer<float>>? _lookFeatures;
    private ValueGetter<DataViewRowId>? _lookId;
    private MlpModelParameters.BatchScratch? _scratch;
    private float[] _linked = [];
    private DataViewRowId[] _ids = [];
    private float[]? _dense;
    private VBuffer<float> _buffer;
    private long _start = -1;
    private int _count;
    private int _next = FirstBlock;
    private bool _disabled;

    /// <summary>Block scoring of <paramref name="main"/>'s rows, read ahead from <paramref name="source"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The view <paramref name="main"/> was opened on, without shuffling.</param>
    /// <param name="feature">The feature column of <paramref name="source"/>.</param>
    /// <param name="main">The cursor whose rows are served.</param>
    public MlpBlockScorer(MlpModelParameters model, IDataView source, DataViewSchema.Column feature, DataViewRow main)
    {
        _model = model;
        _source = source;
        _feature = feature;
        _main = main;
        _inputs = model.InputSize;
        _outputs = model.OutputSize;
        int widest = Math.Max(_outputs, model.Spec.HiddenLayers.DefaultIfEmpty(0).Max());
        long perRow = _inputs + 2L * widest + 2L * _outputs;
        _max = (int)Math.Clamp(FloatBudget / perRow, 16, MaxBlock);
    }

    /// <summary>
    /// The raw outputs and the linked outputs of the row at <paramref name="position"/> (the main cursor's current
    /// row) from a block; false when the row must be scored per row.
    /// </summary>
    /// <param name="position">The main cursor's position.</param>
    /// <param name="logits">Receives OutputSize raw outputs.</param>
    /// <param name="output">Receives OutputSize outputs after the link.</param>
    public bool TryGet(long position, Span<float> logits, Span<float> output)
    {
        if (_disabled || position < 0) return false;
        long index = position - _start;
        if (_count == 0 || index < 0 || index >= _count)
        {
            if (_count > 0 && index < 0)
            {
                Disable(); // a cursor never moves backwards: the positions do not mean what we assume
                return false;
            }
            if (!Fill(position)) return false;
            index = 0;
        }
        _mainId ??= _main.GetIdGetter();
        DataViewRowId id = default;
        _mainId(ref id);
        if (!id.Equals(_ids[index]))
        {
            Disable();
            return false;
        }
        int i = (int)index;
        _scratch!.Logits.Row(i).CopyTo(logits);
        _linked.AsSpan(i * _outputs, _outputs).CopyTo(output);
        return true;
    }

    /// <summary>Reads and scores a block whose first row is at <paramref name="position"/>; false if there is none.</summary>
    private bool Fill(long position)
    {
        _count = 0;
        if (_look is null)
        {
            _look = _source.GetRowCursor([_feature]);
            _lookFeatures = _look.GetGetter<VBuffer<float>>(_feature);
            _lookId = _look.GetIdGetter();
        }
        while (_look.Position < position)
        {
            if (!_look.MoveNext())
            {
                Disable();
                return false;
            }
        }
        if (_look.Position != position)
        {
            Disable();
            return false;
        }

        int n = Math.Min(_next, _max);
        if (_scratch is null || _scratch.Capacity < n)
        {
            _scratch = new MlpModelParameters.BatchScratch(_model, n);
            _linked = new float[n * _outputs];
            _ids = new DataViewRowId[n];
        }
        var x = _scratch.Features;
        int r = 0;
        while (true)
        {
            _lookFeatures!(ref _buffer);
            if (_buffer.Length != _inputs) break; // the per-row path reports it if the row is read
            ReadOnlySpan<float> values;
            if (_buffer.IsDense)
            {
                values = _buffer.GetValues();
            }
            else
            {
                _dense ??= new float[_inputs];
                _buffer.CopyTo(_dense);
                values = _dense;
            }
            _model.Standardize(values, x.Row(r));
            _lookId!(ref _ids[r]);
            r++;
            if (r == n || !_look.MoveNext()) break;
        }
        if (r == 0) return false;

        _model.ForwardBatch(r, _scratch);
        for (int i = 0; i < r; i++)
        {
            var o = _linked.AsSpan(i * _outputs, _outputs);
            _scratch.Logits.Row(i).CopyTo(o);
            _model.ApplyLink(o);
        }
        _start = position;
        _count = r;
        _next = Math.Min(_next * 2, _max);
        return true;
    }

    private void Disable()
    {
        _disabled = true;
        _count = 0;
        _scratch = null;
        _linked = [];
        _ids = [];
        _look?.Dispose();
        _look = null;
    }

    /// <summary>Disposes the look-ahead cursor.</summary>
    public void Dispose()
    {
        _look?.Dispose();
        _look = null;
        _disabled = true;
    }
}
