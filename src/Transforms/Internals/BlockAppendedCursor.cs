using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Internals;

/// <summary>
/// The cursor of an <see cref="AppendedDataView"/> whose mapper computes blocks of rows: it reads its input cursor ahead
/// — once, so a one-pass source (a consuming queue behind <c>LoadFromEnumerable</c>) gives every row exactly once and
/// upstream transforms run once per row — holding the active input columns' values of up to a block of rows
/// (<see cref="ColumnBuffer"/>), lets the mapper compute the block's outputs together, then serves the rows one by one
/// from what it holds. Blocks start at <see cref="FirstBlock"/> rows (the first rows come fast) and double up to the
/// mapper's maximum.
/// </summary>
internal sealed class BlockAppendedCursor : DataViewRowCursor, IRowBlock
{
    /// <summary>Rows in the first block.</summary>
    internal const int FirstBlock = 64;

    private readonly DataViewRowCursor _input;
    private readonly DataViewSchema _schema;
    private readonly int _inputCount;
    private readonly bool[] _outActive;
    private readonly ColumnBuffer?[] _buffers;
    private readonly ColumnBuffer[] _active;
    private readonly Delegate?[] _inputGetters;
    private readonly ValueGetter<DataViewRowId> _inputId;
    private readonly Delegate?[] _getters;
    private readonly Action<int> _compute;
    private readonly int _max;
    private DataViewRowId[] _ids = [];
    private int _next = FirstBlock;
    private long _position = -1;
    private bool _done;
    private bool _disposed;

    private BlockAppendedCursor(DataViewRowCursor input, BoundAppending bound, bool[] outActive, DataViewSchema.Column[] inputs)
    {
        _input = input;
        _schema = bound.OutputSchema;
        _inputCount = bound.InputSchema.Count;
        _outActive = outActive;
        _buffers = new ColumnBuffer?[_inputCount];
        foreach (var column in inputs) _buffers[column.Index] = ColumnBuffer.Create(input, column);
        _active = [.. _buffers.OfType<ColumnBuffer>()];
        _inputGetters = new Delegate?[_inputCount];
        _inputId = input.GetIdGetter();
        Block = bound.Mapper.CreateBlockGetters(this, j => outActive[j]);
        _getters = Block?.Getters ?? [];
        _compute = Block?.Compute ?? (_ => { });
        _max = Math.Max(1, Block?.MaxRows ?? 1);
        _next = Math.Min(FirstBlock, _max);
    }

    /// <summary>What the mapper gave, or null when it declined.</summary>
    private BlockGetters? Block { get; }

    /// <summary>
    /// A block cursor over <paramref name="input"/>, or null when the mapper declines (the caller then scores per row on
    /// <paramref name="input"/>, which is left untouched).
    /// </summary>
    public static DataViewRowCursor? TryCreate(DataViewRowCursor input, BoundAppending bound, bool[] outActive, DataViewSchema.Column[] inputs)
    {
        var cursor = new BlockAppendedCursor(input, bound, outActive, inputs);
        return cursor.Block is null ? null : cursor;
    }

    public int Count { get; private set; }

    public int Current { get; private set; } = -1;

    public long StartPosition { get; private set; }

    public T[] Values<T>(DataViewSchema.Column column) =>
        (_buffers[column.Index] as ColumnBuffer<T>)?.Values
        ?? throw new InvalidOperationException($"Input column '{column.Name}' is not held by this block cursor as {typeof(T)}.");

    public override DataViewSchema Schema => _schema;

    public override long Position => _position;

    public override long Batch => 0;

    public override bool MoveNext()
    {
        if (_done || _disposed) return false;
        if (Current + 1 < Count)
        {
            Current++;
            _position++;
            return true;
        }
        if (!Fill())
        {
            _done = true;
            Current = -1;
            Count = 0;
            return false;
        }
        Current = 0;
        _position++;
        return true;
    }

    /// <summary>Reads up to a block of rows from the input (each of them once) and has the mapper compute their outputs.</summary>
    private bool Fill()
    {
        int n = _next;
        foreach (var buffer in _active) buffer.EnsureCapacity(n);
        if (_ids.Length < n) Array.Resize(ref _ids, n);
        StartPosition = _position + 1;
        int rows = 0;
        while (rows < n && _input.MoveNext())
        {
            foreach (var buffer in _active) buffer.Read(rows);
            _inputId(ref _ids[rows]);
            rows++;
        }
        Count = rows;
        if (rows == 0) return false;
        _compute(rows);
        _next = Math.Min(_next * 2, _max);
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = _ids[Current];

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        if (column.Index < _inputCount) return _buffers[column.Index] is not null;
        int j = column.Index - _inputCount;
        return j < _outActive.Length && _outActive[j];
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < 0 || column.Index >= _schema.Count)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' (index {column.Index}) is not in this schema.");
        if (column.Index < _inputCount)
        {
            var buffer = _buffers[column.Index]
                ?? throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it when creating the cursor.");
            return (_inputGetters[column.Index] ??= buffer.Getter(() => Current)) as ValueGetter<TValue>
                   ?? throw new InvalidOperationException($"Invalid TValue in GetGetter for column '{column.Name}': '{typeof(TValue)}', expected type: '{_schema[column.Index].Type.RawType}'.");
        }
        int j = column.Index - _inputCount;
        if (!_outActive[j])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it when creating the cursor.");
        return _getters[j] as ValueGetter<TValue>
               ?? throw new InvalidOperationException($"Invalid TValue in GetGetter for column '{column.Name}': '{typeof(TValue)}', expected type: '{_schema[column.Index].Type.RawType}'.");
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        if (disposing) _input.Dispose();
        _disposed = true;
        base.Dispose(disposing);
    }
}
