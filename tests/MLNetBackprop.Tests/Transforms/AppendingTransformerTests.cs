using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop.Tests.Transforms;

/// <summary>
/// A transformer defined outside the Transforms assembly (as the trainer's will be): adds "Sum" = A + B and
/// "Twice" = 2·A, counting getter calls.
/// </summary>
internal sealed class SumTransformer : AppendingTransformerBase
{
    public int GettersCreated;
    public int SumCalls;

    public SumTransformer(IHostEnvironment env) : base(env, nameof(SumTransformer)) { }

    private protected override AppendingMapper Bind(DataViewSchema inputSchema)
    {
        var a = inputSchema.GetColumnOrNull("A") ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), "column 'A' missing");
        var b = inputSchema.GetColumnOrNull("B") ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), "column 'B' missing");
        return new M(this, inputSchema, a, b);
    }

    private protected override void SaveModel(ModelSaveContext ctx) => throw new NotSupportedException();

    private sealed class M(SumTransformer parent, DataViewSchema schema, DataViewSchema.Column a, DataViewSchema.Column b) : AppendingMapper(schema)
    {
        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } =
        [
            new DataViewSchema.DetachedColumn("Sum", NumberDataViewType.Single),
            new DataViewSchema.DetachedColumn("A", NumberDataViewType.Single), // hides input A ("Twice")
        ];

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
        {
            if (isOutputActive(0) || isOutputActive(1))
                yield return a;
            if (isOutputActive(0))
                yield return b;
        }

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            Interlocked.Increment(ref parent.GettersCreated);
            var result = new Delegate?[2];
            var ga = input.GetGetter<float>(a);
            if (isOutputActive(0))
            {
                var gb = input.GetGetter<float>(b);
                float x = 0, y = 0; // per-cursor buffers
                result[0] = (ValueGetter<float>)((ref float dst) =>
                {
                    Interlocked.Increment(ref parent.SumCalls);
                    ga(ref x);
                    gb(ref y);
                    dst = x + y;
                });
            }
            if (isOutputActive(1))
            {
                float x = 0;
                result[1] = (ValueGetter<float>)((ref float dst) =>
                {
                    ga(ref x);
                    dst = 2 * x;
                });
            }
            return result;
        }
    }
}

public class AppendingTransformerTests
{
    public sealed class AB
    {
        public float A { get; set; }
        public float B { get; set; }
    }

    public sealed class Out
    {
        public float A { get; set; }
        public float B { get; set; }
        public float Sum { get; set; }
    }

    private static IDataView Data(MLContext ml, int n = 100) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, n).Select(i => new AB { A = i, B = 1000 * i }).ToArray());

    [Fact]
    public void SchemaHidesInputAndKeepsIndices()
    {
        var ml = new MLContext(1);
        var data = Data(ml);
        var t = new SumTransformer(ml);
        var schema = t.GetOutputSchema(data.Schema);
        Assert.Equal(4, schema.Count);
        Assert.Equal(3, schema["A"].Index);
        Assert.True(schema[0].IsHidden);
        Assert.True(t.IsRowToRowMapper);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.GetOutputSchema(ml.Data.LoadFromEnumerable(new[] { new { C = 1f } }).Schema));
    }

    [Fact]
    public void OnlyRequestedColumnsAreComputed()
    {
        var ml = new MLContext(1);
        var data = Data(ml);
        var t = new SumTransformer(ml);
        var view = t.Transform(data);
        Assert.Equal(100, view.GetRowCount());
        using (var c = view.GetRowCursor([view.Schema["B"]]))
        {
            Assert.False(c.IsColumnActive(view.Schema["Sum"]));
            while (c.MoveNext()) { }
        }
        Assert.Equal(0, t.GettersCreated);

        using (var c = view.GetRowCursor([view.Schema["A"]]))
        {
            Assert.True(c.IsColumnActive(view.Schema["A"]));
            Assert.False(c.IsColumnActive(view.Schema["Sum"]));
            Assert.Throws<InvalidOperationException>(() => c.GetGetter<float>(view.Schema["Sum"]));
            var g = c.GetGetter<float>(view.Schema["A"]);
            float v = 0;
            int i = 0;
            while (c.MoveNext())
            {
                g(ref v);
                Assert.Equal(2f * i++, v);
            }
        }
        Assert.Equal(1, t.GettersCreated);
        Assert.Equal(0, t.SumCalls);

        using (var c = view.GetRowCursor(view.Schema))
        {
            Assert.Throws<InvalidOperationException>(() => c.GetGetter<double>(view.Schema["Sum"]));
            var g = c.GetGetter<float>(view.Schema["Sum"]);
            float v = 0;
            int i = 0;
            while (c.MoveNext())
            {
                g(ref v);
                Assert.Equal(1001f * i++, v);
            }
        }
        Assert.Equal(100, t.SumCalls);
    }

    [Fact]
    public void CursorSetsCoverAllRowsWithIndependentGetters()
    {
        var ml = new MLContext(1);
        var data = ml.Data.Cache(Data(ml, 5000));
        var t = new SumTransformer(ml);
        var view = t.Transform(data);
        var cursors = view.GetRowCursorSet([view.Schema["Sum"], view.Schema["B"]], 4);
        var sums = new System.Collections.Concurrent.ConcurrentBag<(float B, float Sum)>();
        Parallel.ForEach(cursors, c =>
        {
            using (c)
            {
                var gs = c.GetGetter<float>(view.Schema["Sum"]);
                var gb = c.GetGetter<float>(view.Schema["B"]);
                float s = 0, b = 0;
                while (c.MoveNext())
                {
                    gs(ref s);
                    gb(ref b);
                    sums.Add((b, s));
                }
            }
        });
        Assert.Equal(5000, sums.Count);
        Assert.All(sums, p => Assert.Equal(p.B / 1000f + p.B, p.Sum));
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => 1000f * i), sums.Select(p => p.B).OrderBy(b => b));
    }

    [Fact]
    public void RowToRowMapperAndPredictionEngineWork()
    {
        var ml = new MLContext(1);
        var data = Data(ml);
        var t = new SumTransformer(ml);
        var mapper = t.GetRowToRowMapper(data.Schema);
        var deps = mapper.GetDependencies([mapper.OutputSchema["Sum"]]).Select(c => c.Name).OrderBy(n => n).ToArray();
        Assert.Equal(["A", "B"], deps);
        var engine = ml.Model.CreatePredictionEngine<AB, Out>(t);
        var p = engine.Predict(new AB { A = 3, B = 4 });
        Assert.Equal(7f, p.Sum);
        Assert.Equal(6f, p.A);
        Assert.Equal(4f, p.B);
    }
}
