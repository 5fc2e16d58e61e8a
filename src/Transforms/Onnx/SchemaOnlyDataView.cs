using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Onnx;

/// <summary>
/// A data view with a schema and no rows: what a pipeline step is converted against, so that ML.NET's converter sees
/// exactly that step (it walks back through every transform that produced its input data view).
/// </summary>
internal sealed class SchemaOnlyDataView(DataViewSchema schema) : IDataView
{
    /// <summary>A view of the visible columns of <paramref name="schema"/> that <paramref name="keep"/> accepts (annotations kept).</summary>
    public static SchemaOnlyDataView OfVisible(DataViewSchema schema, Func<DataViewSchema.Column, bool> keep)
    {
        var b = new DataViewSchema.Builder();
        foreach (var column in schema)
            if (!column.IsHidden && keep(column)) b.AddColumn(column.Name, column.Type, column.Annotations);
        return new SchemaOnlyDataView(b.ToSchema());
    }

    /// <inheritdoc/>
    public bool CanShuffle => false;

    /// <inheritdoc/>
    public DataViewSchema Schema { get; } = schema;

    /// <inheritdoc/>
    public long? GetRowCount() => 0;

    /// <inheritdoc/>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Empty(Schema);

    /// <inheritdoc/>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Empty(Schema)];

    private sealed class Empty(DataViewSchema schema) : DataViewRowCursor
    {
        public override DataViewSchema Schema => schema;
        public override long Position => -1;
        public override long Batch => 0;
        public override bool MoveNext() => false;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId v) => throw new InvalidOperationException("An empty view has no rows.");
        public override bool IsColumnActive(DataViewSchema.Column column) => true;
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => (ref TValue v) => throw new InvalidOperationException("An empty view has no rows.");
    }
}
