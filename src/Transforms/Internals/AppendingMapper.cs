using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetBackprop.Internals;

/// <summary>
/// What an <see cref="AppendingTransformerBase"/> computes, bound to one input schema. Must be immutable after
/// construction: one instance serves every cursor (including parallel cursor sets) of a view.
/// </summary>
internal abstract class AppendingMapper
{
    /// <summary>Binds to <paramref name="inputSchema"/>.</summary>
    protected AppendingMapper(DataViewSchema inputSchema)
    {
        InputSchema = inputSchema ?? throw new ArgumentNullException(nameof(inputSchema));
    }

    /// <summary>The schema this mapper is bound to.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>
    /// The appended columns, in order (name, type, annotations). Output column j gets index
    /// <c>InputSchema.Count + j</c> in the output schema.
    /// </summary>
    public abstract IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>Input columns (of <see cref="InputSchema"/>) needed to compute the outputs j with <c>isOutputActive(j)</c>.</summary>
    public abstract IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive);

    /// <summary>
    /// Creates getters for the active outputs over <paramref name="input"/> (a cursor or row of
    /// <see cref="InputSchema"/> whose dependency columns are active). Returns an array of
    /// <c>OutputColumns.Count</c> entries: a <c>ValueGetter&lt;T&gt;</c> with <c>T</c> = the column's
    /// <see cref="DataViewType.RawType"/> for each active output, <see langword="null"/> for the others.
    /// Called once per cursor or row: buffers captured by the getters belong to that cursor alone, so no
    /// locking is needed. A getter reads the input's current row each time it is called.
    /// </summary>
    public abstract Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive);

    /// <summary>
    /// Whether <see cref="CreateBlockGetters"/> may return getters. When true, an unshuffled cursor reads its input
    /// ahead in blocks of rows (once: the caller's data is enumerated a single time) and the mapper computes each
    /// block's outputs together; an unshuffled cursor set is served as one such cursor.
    /// </summary>
    public virtual bool SupportsBlocks => false;

    /// <summary>
    /// Optional block variant of <see cref="CreateGetters"/>: getters for the active outputs of the row
    /// <paramref name="block"/> is serving, computed for all the block's rows at once when it fills. The getters must
    /// return exactly what <see cref="CreateGetters"/>' getters would for that row. Returns <see langword="null"/>
    /// (the default) to score row by row.
    /// </summary>
    /// <param name="block">The rows read ahead (their dependency columns' values).</param>
    /// <param name="isOutputActive">Which outputs are requested.</param>
    public virtual BlockGetters? CreateBlockGetters(IRowBlock block, Func<int, bool> isOutputActive) => null;
}

/// <summary>
/// The rows a block cursor has read ahead from its input and serves one at a time: row i of the block (0 ≤ i &lt;
/// <see cref="Count"/>) is the input's row <see cref="StartPosition"/> + i.
/// </summary>
internal interface IRowBlock
{
    /// <summary>Rows held.</summary>
    int Count { get; }

    /// <summary>The block row being served.</summary>
    int Current { get; }

    /// <summary>The cursor position of block row 0.</summary>
    long StartPosition { get; }

    /// <summary>The held values of input column <paramref name="column"/> (one of the mapper's dependencies), slot i = block row i.</summary>
    T[] Values<T>(DataViewSchema.Column column);
}

/// <summary>What a mapper gives a block cursor: output getters, the largest block, and the computation run on each filled block.</summary>
/// <param name="Getters">One entry per appended column: a getter for an active output, null otherwise.</param>
/// <param name="MaxRows">The most rows per block.</param>
/// <param name="Compute">Called with the number of rows after each fill, before any of them is served.</param>
internal sealed record BlockGetters(Delegate?[] Getters, int MaxRows, Action<int> Compute);

/// <summary>A mapper together with the output schema it produces.</summary>
internal sealed class BoundAppending
{
    public BoundAppending(AppendingMapper mapper)
    {
        Mapper = mapper;
        InputSchema = mapper.InputSchema;
        var outs = mapper.OutputColumns;
        var b = new DataViewSchema.Builder();
        b.AddColumns(InputSchema); // hidden input columns stay, in order, so indices match the input
        foreach (var c in outs)
            b.AddColumn(c.Name, c.Type, c.Annotations);
        OutputSchema = b.ToSchema();
        OutputCount = outs.Count;
    }

    public AppendingMapper Mapper { get; }
    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }
    public int OutputCount { get; }

    /// <summary>Splits requested output-schema columns into active appended outputs and the input columns to request.</summary>
    public (bool[] OutputActive, DataViewSchema.Column[] InputColumns) Plan(IEnumerable<DataViewSchema.Column> requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        int nIn = InputSchema.Count;
        var outActive = new bool[OutputCount];
        var inActive = new bool[nIn];
        foreach (var col in requested)
        {
            if (col.Index < 0 || col.Index >= OutputSchema.Count)
                throw new ArgumentOutOfRangeException(nameof(requested), $"Column '{col.Name}' (index {col.Index}) is not in this schema.");
            if (col.Index < nIn)
                inActive[col.Index] = true;
            else
                outActive[col.Index - nIn] = true;
        }
        if (outActive.Any(a => a))
        {
            foreach (var dep in Mapper.GetDependencies(j => outActive[j]))
                inActive[dep.Index] = true;
        }
        var inputs = new List<DataViewSchema.Column>();
        for (int i = 0; i < nIn; i++)
        {
            if (inActive[i])
                inputs.Add(InputSchema[i]);
        }
        return (outActive, inputs.ToArray());
    }
}

/// <summary>Shared by the cursor and the row: getters over an input row plus appended getters.</summary>
internal static class AppendedAccess
{
    public static ValueGetter<T> GetGetter<T>(DataViewRow input, DataViewSchema outputSchema, bool[] outActive, Delegate?[] getters, DataViewSchema.Column column)
    {
        int nIn = input.Schema.Count;
        if (column.Index < 0 || column.Index >= outputSchema.Count)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' (index {column.Index}) is not in this schema.");
        if (column.Index < nIn)
            return input.GetGetter<T>(input.Schema[column.Index]);
        int j = column.Index - nIn;
        if (!outActive[j])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it when creating the cursor.");
        return getters[j] as ValueGetter<T>
               ?? throw new InvalidOperationException($"Invalid TValue in GetGetter for column '{column.Name}': '{typeof(T)}', expected type: '{outputSchema[column.Index].Type.RawType}'.");
    }

    public static bool IsActive(DataViewRow input, bool[] outActive, DataViewSchema.Column column)
    {
        int nIn = input.Schema.Count;
        if (column.Index < nIn)
            return input.IsColumnActive(input.Schema[column.Index]);
        int j = column.Index - nIn;
        return j < outActive.Length && outActive[j];
    }
}

/// <summary>The lazy view returned by <see cref="AppendingTransformerBase.Transform"/>.</summary>
internal sealed class AppendedDataView : IDataView
{
    private readonly IDataView _source;
    private readonly BoundAppending _bound;

    public AppendedDataView(IDataView source, BoundAppending bound)
    {
        _source = source;
        _bound = bound;
    }

    public bool CanShuffle => _source.CanShuffle;

    public DataViewSchema Schema => _bound.OutputSchema;

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (outActive, inputs) = _bound.Plan(columnsNeeded);
        return Create(_source.GetRowCursor(inputs, rand), outActive, inputs, rand);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (outActive, inputs) = _bound.Plan(columnsNeeded);
        // A set asked for without a shuffle (ML.NET's downstream transforms and evaluators ask for one on every
        // cursor when there are several cores): when the mapper scores blocks, one block-scored cursor is worth more
        // than split per-row cursors (its block product is itself multi-threaded). A set may have fewer than n cursors.
        if (rand is null && _bound.Mapper.SupportsBlocks && outActive.Any(a => a))
            return [Create(_source.GetRowCursor(inputs), outActive, inputs, rand)];
        var inners = _source.GetRowCursorSet(inputs, n, rand);
        var result = new DataViewRowCursor[inners.Length];
        for (int i = 0; i < inners.Length; i++)
            result[i] = new AppendedCursor(inners[i], _bound, outActive);
        return result;
    }

    private DataViewRowCursor Create(DataViewRowCursor inner, bool[] outActive, DataViewSchema.Column[] inputs, Random? rand)
    {
        // Without a shuffle, a mapper that computes blocks gets them from a cursor that reads the input ahead, once.
        if (rand is null && outActive.Any(a => a) && _bound.Mapper.SupportsBlocks)
        {
            var block = BlockAppendedCursor.TryCreate(inner, _bound, outActive, inputs);
            if (block is not null) return block;
        }
        return new AppendedCursor(inner, _bound, outActive);
    }
}

/// <summary>Cursor of <see cref="AppendedDataView"/>; owns its input cursor and its getters' buffers.</summary>
internal sealed class AppendedCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly DataViewSchema _schema;
    private readonly bool[] _outActive;
    private readonly Delegate?[] _getters;
    private bool _disposed;

    public AppendedCursor(DataViewRowCursor input, BoundAppending bound, bool[] outActive)
    {
        _input = input;
        _schema = bound.OutputSchema;
        _outActive = outActive;
        _getters = outActive.Any(a => a) ? bound.Mapper.CreateGetters(input, j => outActive[j]) : new Delegate?[outActive.Length];
    }

    public override DataViewSchema Schema => _schema;
    public override long Position => _input.Position;
    public override long Batch => _input.Batch;
    public override bool MoveNext() => _input.MoveNext();
    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
    public override bool IsColumnActive(DataViewSchema.Column column) => AppendedAccess.IsActive(_input, _outActive, column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        AppendedAccess.GetGetter<TValue>(_input, _schema, _outActive, _getters, column);

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
            return;
        if (disposing)
            _input.Dispose();
        _disposed = true;
        base.Dispose(disposing);
    }
}

/// <summary>Row returned by <see cref="AppendingRowToRowMapper.GetRow"/>; disposing it disposes the input row.</summary>
internal sealed class AppendedRow : DataViewRow
{
    private readonly DataViewRow _input;
    private readonly DataViewSchema _schema;
    private readonly bool[] _outActive;
    private readonly Delegate?[] _getters;
    private bool _disposed;

    public AppendedRow(DataViewRow input, BoundAppending bound, bool[] outActive)
    {
        _input = input;
        _schema = bound.OutputSchema;
        _outActive = outActive;
        _getters = outActive.Any(a => a) ? bound.Mapper.CreateGetters(input, j => outActive[j]) : new Delegate?[outActive.Length];
    }

    public override DataViewSchema Schema => _schema;
    public override long Position => _input.Position;
    public override long Batch => _input.Batch;
    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
    public override bool IsColumnActive(DataViewSchema.Column column) => AppendedAccess.IsActive(_input, _outActive, column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        AppendedAccess.GetGetter<TValue>(_input, _schema, _outActive, _getters, column);

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
            return;
        if (disposing)
            _input.Dispose();
        _disposed = true;
        base.Dispose(disposing);
    }
}

/// <summary>The <see cref="IRowToRowMapper"/> of an <see cref="AppendingTransformerBase"/>.</summary>
internal sealed class AppendingRowToRowMapper : IRowToRowMapper
{
    private readonly BoundAppending _bound;

    public AppendingRowToRowMapper(BoundAppending bound) => _bound = bound;

    public DataViewSchema InputSchema => _bound.InputSchema;

    public DataViewSchema OutputSchema => _bound.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        _bound.Plan(dependingColumns).InputColumns;

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!ReferenceEquals(input.Schema, InputSchema))
            throw new ArgumentException("The input row's schema must be the schema this mapper was bound to.", nameof(input));
        var (outActive, _) = _bound.Plan(activeColumns);
        return new AppendedRow(input, _bound, outActive);
    }
}
