using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// Scoring enumerates the caller's data once and gives every row its own score (issue 11, item 1): a consuming queue
/// behind <c>LoadFromEnumerable</c> (a second enumeration would find it empty) and a source that yields different rows on
/// every enumeration (a second enumeration would score other rows) — every row comes out once, with the score the
/// PredictionEngine gives its features; the upstream code runs once per row.
/// </summary>
public class OnePassScoringTests
{
    public sealed class In
    {
        [VectorType(13)]
        public float[] Features { get; set; } = [];

        public int Id { get; set; }
    }

    public sealed class Out
    {
        public float[] Score { get; set; } = [];
    }

    private static (MLContext Ml, ITransformer Model, float[][] X) Trained()
    {
        var ml = new MLContext(3);
        var (x, y) = Datasets.Load("wine.csv");
        var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { Epochs = 3 }).Fit(keyed);
        return (ml, model, x);
    }

    [Fact]
    public void AConsumingQueueGivesEveryRowOnceWithItsOwnScore()
    {
        var (ml, model, x) = Trained();
        const int n = 5000;
        var queue = new BlockingCollection<In>();
        for (int k = 0; k < n; k++) queue.Add(new In { Features = x[k % x.Length], Id = k });
        queue.CompleteAdding();
        int produced = 0;
        IEnumerable<In> Source()
        {
            foreach (var row in queue.GetConsumingEnumerable())
            {
                produced++;
                yield return row;
            }
        }
        var view = ml.Data.LoadFromEnumerable(Source());
        var engine = ml.Model.CreatePredictionEngine<In, Out>(model);
        var scored = model.Transform(view);
        using var cursor = scored.GetRowCursor(scored.Schema);
        Assert.IsType<MLNetBackprop.Internals.BlockAppendedCursor>(cursor); // block-scored, reading the source once
        var id = cursor.GetGetter<int>(scored.Schema["Id"]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        int rows = 0, i = 0;
        VBuffer<float> s = default;
        while (cursor.MoveNext())
        {
            id(ref i);
            score(ref s);
            Assert.Equal(rows, i); // in order, none lost
            Assert.Equal(engine.Predict(new In { Features = x[i % x.Length] }).Score, s.DenseValues().ToArray());
            rows++;
        }
        Assert.Equal(n, rows);
        Assert.Equal(n, produced); // the source was enumerated once
    }

    [Fact]
    public void ASourceThatChangesOnEveryEnumerationIsScoredRowByRowCorrectly()
    {
        var (ml, model, x) = Trained();
        const int n = 3000;
        int enumerations = 0;
        // Every enumeration yields other features for the same ids: scoring must use the rows of the one enumeration it reads.
        var features = new Dictionary<int, float[]>();
        IEnumerable<In> Source()
        {
            int round = Interlocked.Increment(ref enumerations);
            for (int i = 0; i < n; i++)
            {
                var f = x[(i * 7 + round * 31) % x.Length];
                lock (features) features[i] = f;
                yield return new In { Features = f, Id = i };
            }
        }
        var view = ml.Data.LoadFromEnumerable(Source());
        var engine = ml.Model.CreatePredictionEngine<In, Out>(model);
        var scored = model.Transform(view);
        using var cursor = scored.GetRowCursor(scored.Schema);
        var id = cursor.GetGetter<int>(scored.Schema["Id"]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(scored.Schema["Features"]);
        int rows = 0, i = 0;
        VBuffer<float> s = default, f = default;
        while (cursor.MoveNext())
        {
            id(ref i);
            score(ref s);
            getFeatures(ref f);
            var mine = f.DenseValues().ToArray();
            Assert.Equal(engine.Predict(new In { Features = mine }).Score, s.DenseValues().ToArray()); // its own features' score
            Assert.Equal(features[i], mine);
            rows++;
        }
        Assert.Equal(n, rows);
        Assert.Equal(1, enumerations);
    }

    [Fact]
    public void TextColumnsReadAheadKeepTheirOwnValues()
    {
        // Input columns are served from what the cursor read ahead: text is copied, so a source reusing its buffers
        // cannot change a held row's value.
        var (ml, model, x) = Trained();
        var rows = Enumerable.Range(0, 500).Select(i => new TextIn { Features = x[i % x.Length], Name = $"row{i:D5}" }).ToList();
        var view = ml.Data.LoadFromEnumerable(rows);
        var scored = model.Transform(view);
        var names = scored.GetColumn<string>("Name").ToArray();
        Assert.Equal(rows.Select(r => r.Name), names);
    }

    public sealed class TextIn
    {
        [VectorType(13)]
        public float[] Features { get; set; } = [];

        public string Name { get; set; } = "";
    }
}
