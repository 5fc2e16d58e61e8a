using Microsoft.ML;

namespace MLNetBackprop.Tests.Tuning;

/// <summary>Passes an IDataView through, counting how many cursors were opened on it (optionally refusing any).</summary>
public sealed class CountingDataView(IDataView inner, bool forbid = false) : IDataView
{
    private int _cursors;

    public int Cursors => Volatile.Read(ref _cursors);

    public bool CanShuffle => inner.CanShuffle;

    public DataViewSchema Schema => inner.Schema;

    public long? GetRowCount() => inner.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        Opened();
        return inner.GetRowCursor(columnsNeeded, rand);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        Opened();
        return inner.GetRowCursorSet(columnsNeeded, n, rand);
    }

    private void Opened()
    {
        Interlocked.Increment(ref _cursors);
        if (forbid) throw new InvalidOperationException("This data view must not be read.");
    }
}

/// <summary>An IProgress that reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
