using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// A lazily generated IDataView of any number of rows: row i's features are uniform in [−1, 1] from
/// CounterRandom(seed, i), computed only when a getter asks, so nothing is ever materialised.
/// Label: Boolean (x0·x1 + ½ sin 3x2 + 0.3 x3 &gt; 0) or, for regression, that value as Single.
/// </summary>
public sealed class SyntheticDataView : IDataView
{
    private readonly long _rows, _seed;
    private readonly int _features;
    private readonly bool _regression;

    public SyntheticDataView(long rows, int features, long seed = 1, bool regression = false)
    {
        _rows = rows;
        _features = features;
        _seed = seed;
        _regression = regression;
        var b = new DataViewSchema.Builder();
        b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, features));
        b.AddColumn("Label", regression ? NumberDataViewType.Single : BooleanDataViewType.Instance);
        Schema = b.ToSchema();
    }

    public DataViewSchema Schema { get; }

    /// <summary>
    /// When set, the number of rows the k-th cursor (0-based) yields — a source that grows or shrinks between passes.
    /// <see cref="GetRowCount"/> still reports the constructor's count.
    /// </summary>
    public Func<int, long>? RowsOfCursor { get; init; }

    /// <summary>Cursors opened so far.</summary>
    public int CursorsOpened => _cursors;

    private int _cursors;

    public bool CanShuffle => false;

    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    public static float Rule(ReadOnlySpan<float> x) => x[0] * x[1] + 0.5f * MathF.Sin(3 * x[2]) + 0.3f * x[3];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly SyntheticDataView _view;
        private readonly bool[] _active;
        private readonly float[] _x;
        private readonly long _rows;
        private long _position = -1, _filled = -1;

        public Cursor(SyntheticDataView view, IEnumerable<DataViewSchema.Column> columns)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var c in columns) _active[c.Index] = true;
            _x = new float[view._features];
            int k = Interlocked.Increment(ref view._cursors) - 1;
            _rows = view.RowsOfCursor?.Invoke(k) ?? view._rows;
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            if (_position + 1 >= _rows) return false;
            _position++;
            return true;
        }

        private float[] Row()
        {
            if (_filled != _position)
            {
                var r = new CounterRandom(_view._seed, _position);
                for (int j = 0; j < _x.Length; j++) _x[j] = 2 * r.NextSingle() - 1;
                _filled = _position;
            }
            return _x;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
                {
                    var editor = VBufferEditor.Create(ref v, _x.Length);
                    Row().CopyTo(editor.Values);
                    v = editor.Commit();
                }),
                _ when _view._regression => (ValueGetter<float>)((ref float y) => y = Rule(Row())),
                _ => (ValueGetter<bool>)((ref bool y) => y = Rule(Row()) > 0),
            };
            return (ValueGetter<TValue>)getter;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
    }
}
