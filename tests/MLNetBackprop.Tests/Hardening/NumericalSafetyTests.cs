using Microsoft.ML;
using Microsoft.ML.Data;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>Extreme and degenerate values through the public pipeline: no exceptions, no NaN.</summary>
public class NumericalSafetyTests
{
    private static float[][] ExtremeRows(float big) =>
    [
        [big, big, big, big],
        [-big, -big, -big, -big],
        [big, -big, big, -big],
        [-big, big, -big, big],
        [big, 0, 0, 0],
        [0, 0, 0, -big],
    ];

    [Theory]
    [InlineData(1e30f)]
    [InlineData(float.MaxValue)]
    public void ExtremeFeaturesGiveFiniteOrDocumentedOutputs(float big)
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        var rows = ExtremeRows(big);
        var extreme = rows.Select(_ => 1f).ToArray();

        var multi = ml.MulticlassClassification.Trainers.Mlp(Multiclass()).Fit(KeyData(ml, x, y));
        foreach (var p in multi.Transform(KeyData(ml, rows, extreme)).GetColumn<float[]>("Score"))
        {
            Assert.All(p, v => Assert.True(v >= 0 && v <= 1, $"probability {v}"));
            Assert.Equal(1.0, p.Sum(v => (double)v), 5);
        }

        var binary = ml.BinaryClassification.Trainers.Mlp(Binary()).Fit(BoolData(ml, x, y));
        var scored = binary.Transform(BoolData(ml, rows, extreme));
        // Documented: the binary Score is the raw logit and may be ±∞ for such inputs; the probability stays in [0, 1].
        Assert.All(scored.GetColumn<float>("Score"), s => Assert.False(float.IsNaN(s)));
        Assert.All(scored.GetColumn<float>("Probability"), v => Assert.True(v >= 0 && v <= 1, $"probability {v}"));

        var regression = ml.Regression.Trainers.Mlp(Regression()).Fit(FloatData(ml, x, y));
        // Documented: a regression Score is linear in the features far out, so it may be ±∞, never NaN.
        Assert.All(regression.Transform(FloatData(ml, rows, extreme)).GetColumn<float>("Score"), s => Assert.False(float.IsNaN(s)));
    }

    [Fact]
    public void ConstantFeatureColumnGivesNoNaN()
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        x = Copy(x);
        foreach (var row in x) row[2] = 5f; // variance 0
        var keyed = KeyData(ml, x, y);

        // Robust scaling (the default) sends a constant feature in as 0 (scale 0); z-scoring only centres it (scale 1).
        var normalized = ml.MulticlassClassification.Trainers.Mlp(Multiclass(epochs: 10)).Fit(keyed);
        Assert.All(normalized.Model.FeatureScales, s => Assert.True(float.IsFinite(s) && s >= 0));
        Assert.Equal(0f, normalized.Model.FeatureScales[2]);
        AssertNoNaN(normalized.Transform(keyed));
        var standardized = Multiclass(epochs: 10);
        standardized.FeatureNormalization = FeatureNormalization.Standard;
        var classic = ml.MulticlassClassification.Trainers.Mlp(standardized).Fit(keyed);
        Assert.All(classic.Model.FeatureScales, s => Assert.True(float.IsFinite(s) && s > 0));
        Assert.Equal(1f, classic.Model.FeatureScales[2]);
        AssertNoNaN(classic.Transform(keyed));

        var options = Multiclass(epochs: 10);
        options.FeatureColumnName = "Normalized";
        options.FeatureNormalization = FeatureNormalization.None;
        options.BatchNorm = true; // and batch normalisation inside the network
        var chain = ml.Transforms.BatchNormalize("Normalized", "Features").Append(ml.MulticlassClassification.Trainers.Mlp(options)).Fit(keyed);
        var bn = chain.OfType<BatchNormalizingTransformer>().Single();
        Assert.Equal(0, bn.Variance[2]);
        var scored = chain.Transform(keyed);
        Assert.All(scored.GetColumn<float[]>("Normalized"), v => Assert.All(v, f => Assert.True(float.IsFinite(f))));
        AssertNoNaN(scored);
    }

    private static void AssertNoNaN(IDataView scored)
    {
        foreach (var p in scored.GetColumn<float[]>("Score"))
        {
            Assert.All(p, v => Assert.True(float.IsFinite(v)));
            Assert.Equal(1.0, p.Sum(v => (double)v), 5);
        }
    }

    public static TheoryData<float[]> ExtremeLogits => new()
    {
        new[] { 1e30f, -1e30f, 0f },
        new[] { float.MaxValue, -float.MaxValue, 0f },
        new[] { float.MaxValue, float.MaxValue, float.MaxValue },
        new[] { -float.MaxValue, -float.MaxValue, 3f },
        new[] { float.PositiveInfinity, 0f, float.NegativeInfinity },
        new[] { float.PositiveInfinity, float.PositiveInfinity, 1f },
        new[] { float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity },
        new[] { float.NegativeInfinity, 2f, 1f },
        new[] { 88.8f, 88.7f, -104f },
    };

    [Theory]
    [MemberData(nameof(ExtremeLogits))]
    public void SoftmaxOfExtremeLogitsSumsToOne(float[] logits)
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        var model = ml.MulticlassClassification.Trainers.Mlp(Multiclass(epochs: 1)).Fit(KeyData(ml, x, y)).Model;
        var p = (float[])logits.Clone();
        model.ApplyLink(p);
        Assert.All(p, v => Assert.True(v >= 0 && v <= 1, $"probability {v} from [{string.Join(", ", logits)}]"));
        Assert.Equal(1.0, p.Sum(v => (double)v), 5);
        int argmax = Array.IndexOf(logits, logits.Max());
        Assert.Equal(p.Max(), p[argmax]);
    }
}
