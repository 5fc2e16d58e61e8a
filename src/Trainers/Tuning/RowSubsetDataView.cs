using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop;

/// <summary>A view of the rows of <c>source</c> whose index is marked in <c>keep</c>, in source order. Reads the source lazily.</summary>
internal sealed class RowSubsetDataView(IDataView source, bool[] keep) : IDataView
{
    private readonly long _count = keep.LongCount(k => k);

    public bool CanShuffle => false;

    public DataViewSchema Schema => source.Schema;

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(source.GetRowCursor(columnsNeeded), keep);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor inner, bool[] keep) : DataViewRowCursor
    {
        private long _sourceRow = -1;
        private long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => inner.Schema;

        public override bool MoveNext()
        {
            while (inner.MoveNext())
            {
                _sourceRow++;
                if (_sourceRow < keep.Length && keep[_sourceRow])
                {
                    _position++;
                    return true;
                }
            }
            return false;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
