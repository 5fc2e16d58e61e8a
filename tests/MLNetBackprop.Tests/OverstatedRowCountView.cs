using Microsoft.ML;

namespace MLNetBackprop.Tests;

/// <summary>
/// A view that reports far more rows than it has: the row count a view reports decides how the trainer plans (refusal
/// of absurd sizes, streaming), while its passes count the real rows.
/// </summary>
internal sealed class OverstatedRowCountView(IDataView inner, long claimed) : IDataView
{
    public bool CanShuffle => inner.CanShuffle;
    public DataViewSchema Schema => inner.Schema;
    public long? GetRowCount() => claimed;
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => inner.GetRowCursor(columnsNeeded, rand);
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => inner.GetRowCursorSet(columnsNeeded, n, rand);
}
