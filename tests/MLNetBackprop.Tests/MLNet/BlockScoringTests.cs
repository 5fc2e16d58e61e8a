using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Tests.Tuning;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// Transform scores unshuffled cursors in blocks (the cursor reads its input ahead, once, + one GEMM per layer); every
/// output must be bit-identical to the per-row PredictionEngine, whatever sits upstream or downstream and however it is read.
/// </summary>
public class BlockScoringTests
{
    private static int Bits(float v) => BitConverter.SingleToInt32Bits(v);

    private static void SameBits(float expected, float actual, string what)
    {
        if (Bits(expected) != Bits(actual)) Assert.Fail($"{what}: per-row {expected:R} vs Transform {actual:R}");
    }

    public sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
        public float PredictedLabelValue { get; set; }
    }

    public sealed class BinaryRow
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    public sealed class RegressionRow
    {
        public float Score { get; set; }
    }

    private static (MLContext Ml, ITransformer Model, float[][] X, float[] Y) Digits()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("digits.csv");
        var train = MLData.Float(ml, x, y, Enumerable.Range(0, x.Length));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [40, 17], Epochs = 3, Seed = 1, BatchNorm = true }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel"))
            .Fit(train);
        return (ml, model, x, y);
    }

    /// <summary>Reads Features, Score and PredictedLabel(Value) through <paramref name="cursor"/> and checks each row against the engine.</summary>
    private static int CheckMulticlass(DataViewRowCursor cursor, DataViewSchema schema, PredictionEngine<MLData.FloatRow, ScoreRow> engine)
    {
        var features = cursor.GetGetter<VBuffer<float>>(schema["Features"]);
        var score = cursor.GetGetter<VBuffer<float>>(schema["Score"]);
        var label = cursor.GetGetter<uint>(schema["PredictedLabel"]);
        var value = cursor.GetGetter<float>(schema["PredictedLabelValue"]);
        VBuffer<float> f = default, s = default;
        uint k = 0;
        float v = 0;
        int rows = 0;
        while (cursor.MoveNext())
        {
            features(ref f);
            score(ref s);
            label(ref k);
            value(ref v);
            var p = engine.Predict(new MLData.FloatRow { Features = f.DenseValues().ToArray() });
            var sv = s.DenseValues().ToArray();
            Assert.Equal(p.Score.Length, sv.Length);
            for (int j = 0; j < sv.Length; j++) SameBits(p.Score[j], sv[j], $"row {cursor.Position}, class {j}");
            Assert.Equal(p.PredictedLabel, k);
            Assert.Equal(p.PredictedLabelValue, v);
            rows++;
        }
        return rows;
    }

    [Fact]
    public void DigitsTransformMatchesPredictionEngineBitForBitWithMapKeyToValueCacheAndFilter()
    {
        var (ml, model, x, y) = Digits();
        var engine = ml.Model.CreatePredictionEngine<MLData.FloatRow, ScoreRow>(model);
        var all = MLData.Float(ml, x, y, Enumerable.Range(0, x.Length));

        // Plain, through a counting wrapper: one cursor over the caller's data (the rows are read once).
        var counting = new CountingDataView(all);
        var scored = model.Transform(counting);
        int opened = counting.Cursors;
        using (var cursor = scored.GetRowCursor(scored.Schema))
            Assert.Equal(x.Length, CheckMulticlass(cursor, scored.Schema, engine));
        Assert.Equal(1, counting.Cursors - opened);

        // Cache upstream, then Filter upstream (fewer rows, positions renumbered).
        var cached = ml.Data.Cache(all);
        var s2 = model.Transform(cached);
        using (var cursor = s2.GetRowCursor(s2.Schema)) Assert.Equal(x.Length, CheckMulticlass(cursor, s2.Schema, engine));
        var filtered = ml.Data.FilterRowsByColumn(cached, "Label", 2, 7);
        int expected = y.Count(v => v >= 2 && v < 7);
        var s3 = model.Transform(filtered);
        using (var cursor = s3.GetRowCursor(s3.Schema)) Assert.Equal(expected, CheckMulticlass(cursor, s3.Schema, engine));

        // GetColumn (its own cursor) and PredictedLabelValue after MapKeyToValue.
        var scores = s2.GetColumn<float[]>("Score").ToArray();
        var values = s2.GetColumn<float>("PredictedLabelValue").ToArray();
        for (int i = 0; i < x.Length; i += 7)
        {
            var p = engine.Predict(new MLData.FloatRow { Features = x[i] });
            for (int j = 0; j < p.Score.Length; j++) SameBits(p.Score[j], scores[i][j], $"row {i}");
            Assert.Equal(p.PredictedLabelValue, values[i]);
        }
    }

    [Fact]
    public void ShuffledCursorsAndCursorSetsStayCorrect()
    {
        var (ml, model, x, y) = Digits();
        var engine = ml.Model.CreatePredictionEngine<MLData.FloatRow, ScoreRow>(model);
        var data = ml.Data.Cache(MLData.Float(ml, x, y, Enumerable.Range(0, x.Length)));
        var scored = model.Transform(data);
        Assert.True(scored.CanShuffle);
        using (var cursor = scored.GetRowCursor(scored.Schema, new Random(5)))
            Assert.Equal(x.Length, CheckMulticlass(cursor, scored.Schema, engine));
        var set = scored.GetRowCursorSet(scored.Schema, 3);
        int total = 0;
        foreach (var c in set)
            using (c) total += CheckMulticlass(c, scored.Schema, engine);
        Assert.Equal(x.Length, total);
        // A shuffled set is split upstream and scored per row.
        set = scored.GetRowCursorSet(scored.Schema, 3, new Random(2));
        total = 0;
        foreach (var c in set)
            using (c) total += CheckMulticlass(c, scored.Schema, engine);
        Assert.Equal(x.Length, total);
    }

    [Fact]
    public void SkippedRowsAndMisalignedLookAheadsFallBackCorrectly()
    {
        var (ml, model, x, y) = Digits();
        var engine = ml.Model.CreatePredictionEngine<MLData.FloatRow, ScoreRow>(model);
        var all = MLData.Float(ml, x, y, Enumerable.Range(0, x.Length));

        // Reading the score on only some rows: the look-ahead steps over the others.
        var scored = model.Transform(all);
        using (var cursor = scored.GetRowCursor(scored.Schema))
        {
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            VBuffer<float> s = default;
            var rng = new Random(3);
            while (cursor.MoveNext())
            {
                if (rng.Next(100) < 97) continue;
                int i = (int)cursor.Position;
                score(ref s);
                var p = engine.Predict(new MLData.FloatRow { Features = x[i] });
                var sv = s.DenseValues().ToArray();
                for (int j = 0; j < sv.Length; j++) SameBits(p.Score[j], sv[j], $"row {i}");
            }
        }

        // Sources whose second cursor sees other rows (ids salted per cursor, or shifted by one row): detected, per row.
        foreach (var mode in new[] { MisalignedDataView.Mode.SaltIds, MisalignedDataView.Mode.SkipFirstRow })
        {
            var view = new MisalignedDataView(all, mode);
            var s2 = model.Transform(view);
            using var cursor = s2.GetRowCursor(s2.Schema);
            Assert.Equal(x.Length, CheckMulticlass(cursor, s2.Schema, engine));
        }
    }

    [Fact]
    public void EvaluatorsGiveTheSameMetricsWithAndWithoutBlockScoring()
    {
        var (ml, model, x, y) = Digits();
        var all = MLData.Float(ml, x, y, Enumerable.Range(0, x.Length));
        var block = ml.MulticlassClassification.Evaluate(model.Transform(all));
        var perRow = ml.MulticlassClassification.Evaluate(model.Transform(new MisalignedDataView(all, MisalignedDataView.Mode.SaltIds)));
        Assert.Equal(perRow.MicroAccuracy, block.MicroAccuracy);
        Assert.Equal(perRow.MacroAccuracy, block.MacroAccuracy);
        Assert.Equal(perRow.LogLoss, block.LogLoss);
        Assert.Equal(perRow.ConfusionMatrix.Counts.SelectMany(r => r), block.ConfusionMatrix.Counts.SelectMany(r => r));
    }

    [Fact]
    public void BreastCancerBinaryTransformMatchesPredictionEngineBitForBit()
    {
        var ml = new MLContext(2);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var data = MLData.Bool(ml, x, y, Enumerable.Range(0, x.Length));
        var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [33], Epochs = 5, Seed = 2, Activation = Activation.Tanh }).Fit(data);
        var scored = model.Transform(data);
        var score = MLData.Scalar(ml, scored, "Score");
        var prob = MLData.Scalar(ml, scored, "Probability");
        var label = scored.GetColumn<bool>("PredictedLabel").ToArray();
        var engine = ml.Model.CreatePredictionEngine<MLData.BoolRow, BinaryRow>(model);
        for (int i = 0; i < x.Length; i++)
        {
            var p = engine.Predict(new MLData.BoolRow { Features = x[i] });
            SameBits(p.Score, score[i], $"score {i}");
            SameBits(p.Probability, prob[i], $"probability {i}");
            Assert.Equal(p.PredictedLabel, label[i]);
        }
        var m1 = ml.BinaryClassification.Evaluate(scored);
        var m2 = ml.BinaryClassification.Evaluate(model.Transform(new MisalignedDataView(data, MisalignedDataView.Mode.SaltIds)));
        Assert.Equal(m2.AreaUnderRocCurve, m1.AreaUnderRocCurve);
        Assert.Equal(m2.LogLoss, m1.LogLoss);
    }

    [Fact]
    public void ConcreteRegressionTransformMatchesPredictionEngineBitForBit()
    {
        var ml = new MLContext(3);
        var (x, y) = Datasets.Load("concrete.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, x.Length));
        var model = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { HiddenLayers = [64, 31], Epochs = 5, Seed = 3, Activation = Activation.Gelu }).Fit(data);
        var scored = model.Transform(data);
        var score = MLData.Scalar(ml, scored, "Score");
        var engine = ml.Model.CreatePredictionEngine<MLData.FloatRow, RegressionRow>(model);
        for (int i = 0; i < x.Length; i++)
            SameBits(engine.Predict(new MLData.FloatRow { Features = x[i] }).Score, score[i], $"score {i}");
        var m1 = ml.Regression.Evaluate(scored);
        var m2 = ml.Regression.Evaluate(model.Transform(new MisalignedDataView(data, MisalignedDataView.Mode.SaltIds)));
        Assert.Equal(m2.RootMeanSquaredError, m1.RootMeanSquaredError);
        Assert.Equal(m2.RSquared, m1.RSquared);
    }
}

/// <summary>
/// A pass-through view whose cursors disagree: every cursor after the first either salts its row ids or starts one
/// row late, so a look-ahead cursor never lines up with the main one.
/// </summary>
public sealed class MisalignedDataView(IDataView inner, MisalignedDataView.Mode mode) : IDataView
{
    public enum Mode { SaltIds, SkipFirstRow }

    private int _opened;

    public bool CanShuffle => false;

    public DataViewSchema Schema => inner.Schema;

    public long? GetRowCount() => null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(inner.GetRowCursor(columnsNeeded), mode, Interlocked.Increment(ref _opened) - 1);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor inner, Mode mode, int index) : DataViewRowCursor
    {
        private bool _started;

        public override DataViewSchema Schema => inner.Schema;

        public override long Position => mode == Mode.SkipFirstRow && index > 0 ? inner.Position - 1 : inner.Position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (!_started && mode == Mode.SkipFirstRow && index > 0) inner.MoveNext();
            _started = true;
            return inner.MoveNext();
        }

        public override ValueGetter<DataViewRowId> GetIdGetter()
        {
            var g = inner.GetIdGetter();
            if (mode != Mode.SaltIds || index == 0) return g;
            return (ref DataViewRowId id) =>
            {
                g(ref id);
                id = new DataViewRowId(id.Low, id.High ^ (ulong)index);
            };
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
