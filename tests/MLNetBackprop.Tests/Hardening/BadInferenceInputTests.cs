using Microsoft.ML;
using Microsoft.ML.Data;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>Bad inputs at scoring time fail early (Transform / CreatePredictionEngine) or at the row, naming the sizes.</summary>
public class BadInferenceInputTests
{
    private static readonly Lazy<(MLContext Ml, MlpMulticlassPredictionTransformer Model)> s_model = new(() =>
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        return (ml, ml.MulticlassClassification.Trainers.Mlp(Multiclass(epochs: 2)).Fit(KeyData(ml, x, y)));
    });

    public sealed class Out
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    public sealed class NoFeatures
    {
        public float Other { get; set; }
    }

    public sealed class Wide
    {
        [VectorType(13)] public float[] Features { get; set; } = [];
    }

    [Fact]
    public void MissingFeatureColumnFailsAtTransformAndCreatePredictionEngine()
    {
        var (ml, model) = s_model.Value;
        var data = ml.Data.LoadFromEnumerable(new[] { new NoFeatures { Other = 1 } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(data));
        Assert.Contains("Feature column 'Features' not found", e.Message);
        Assert.Contains("vector of 4 Single", e.Message);
        var p = Root(Record.Exception(() => ml.Model.CreatePredictionEngine<NoFeatures, Out>(model))!);
        Assert.IsType<ArgumentOutOfRangeException>(p);
        Assert.Contains("Feature column 'Features' not found", p.Message);
    }

    [Fact]
    public void WrongKnownVectorSizeFailsAtTransformAndCreatePredictionEngineNamingBothSizes()
    {
        var (ml, model) = s_model.Value;
        var data = ml.Data.LoadFromEnumerable(new[] { new Wide { Features = new float[13] } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(data));
        Assert.Contains("Feature column 'Features' has 13 slots; the model expects 4", e.Message);
        var p = Root(Record.Exception(() => ml.Model.CreatePredictionEngine<Wide, Out>(model))!);
        Assert.IsType<ArgumentOutOfRangeException>(p);
        Assert.Contains("has 13 slots; the model expects 4", p.Message);
    }

    [Fact]
    public void VariableSizeRowOfTheWrongLengthFailsNamingRowAndBothSizes()
    {
        var (ml, model) = s_model.Value;
        var (x, _) = Iris();

        // PredictionEngine over a plain float[] (variable-size): checked row by row.
        var engine = ml.Model.CreatePredictionEngine<VarRow, Out>(model);
        Assert.Equal(3, engine.Predict(new VarRow { Features = x[0] }).Score.Length);
        var e = Root(Record.Exception(() => engine.Predict(new VarRow { Features = [1, 2, 3] }))!);
        Assert.IsType<InvalidOperationException>(e);
        Assert.Matches(@"Feature column 'Features', row -?\d+: the vector has 3 values; the model expects 4", e.Message);

        // A view: the failing row is named.
        var rows = x.Take(10).Select(f => new VarRow { Features = f }).ToList();
        rows[6] = new VarRow { Features = [1, 2, 3, 4, 5] };
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        var v = Root(Record.Exception(() => scored.GetColumn<float[]>("Score").ToList())!);
        Assert.IsType<InvalidOperationException>(v);
        Assert.Contains("Feature column 'Features', row 6: the vector has 5 values; the model expects 4", v.Message);
    }
}
