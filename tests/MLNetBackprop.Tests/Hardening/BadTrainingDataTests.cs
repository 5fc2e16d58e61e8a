using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>Every kind of bad training data fails at Fit with a message naming the column (and the row where there is one).</summary>
public class BadTrainingDataTests
{
    private static InvalidOperationException FitFails(Func<MLContext, IDataView> data, Func<MLContext, IEstimator<ITransformer>> trainer)
    {
        var ml = new MLContext(1);
        return Assert.Throws<InvalidOperationException>(() => trainer(ml).Fit(data(ml)));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void NonFiniteFeatureNamesColumnRowAndSlot(float bad, string shown)
    {
        var (x, y) = Iris();
        x = Copy(x);
        x[17][2] = bad;
        var e = FitFails(ml => KeyData(ml, x, y), ml => ml.MulticlassClassification.Trainers.Mlp(Multiclass()));
        Assert.Contains("Feature column 'Features', row 17, slot 2", e.Message);
        Assert.Contains(shown, e.Message);
    }

    [Fact]
    public void MissingKeyLabelNamesColumnAndRow()
    {
        var (x, y) = Iris();
        var e = FitFails(_ => KeyData(x, y.Select((v, i) => i == 42 ? 0u : (uint)v + 1).ToArray()),
            ml => ml.MulticlassClassification.Trainers.Mlp(Multiclass()));
        Assert.Contains("Label column 'Label', row 42", e.Message);
        Assert.Contains("missing (0)", e.Message);
    }

    [Fact]
    public void OutOfRangeKeyLabelNamesColumnRowAndRange()
    {
        var (x, y) = Iris();
        var e = FitFails(_ => KeyData(x, y.Select((v, i) => i == 99 ? 7u : (uint)v + 1).ToArray()),
            ml => ml.MulticlassClassification.Trainers.Mlp(Multiclass()));
        Assert.Contains("Label column 'Label', row 99", e.Message);
        Assert.Contains("the key is 7", e.Message);
        Assert.Contains("1..3", e.Message);
    }

    [Fact]
    public void SparseVectorOfTheWrongLengthNamesColumnRowAndBothSizes()
    {
        var (x, y) = Iris();
        var rows = x.Select(f => new VBuffer<float>(D, f)).ToArray();
        rows[5] = new VBuffer<float>(3, 1, [1f], [2]); // sparse, declared 4 slots, holds 3
        var e = FitFails(_ => new RawVectorDataView(D, rows, y), ml => ml.Regression.Trainers.Mlp(Regression()));
        Assert.Contains("Feature column 'Features', row 5", e.Message);
        Assert.Contains("has 3 values; expected 4", e.Message);
    }

    [Fact]
    public void DenseVectorOfTheWrongLengthNamesColumnRowAndBothSizes()
    {
        var (x, y) = Iris();
        var rows = x.Select(f => new VBuffer<float>(D, f)).ToArray();
        rows[8] = new VBuffer<float>(6, new float[6]);
        var e = FitFails(_ => new RawVectorDataView(D, rows, y), ml => ml.Regression.Trainers.Mlp(Regression()));
        Assert.Contains("Feature column 'Features', row 8: the vector has 6 values; expected 4", e.Message);
    }

    [Fact]
    public void VariableSizeFeatureColumnIsRejectedByName()
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        var data = ml.Data.LoadFromEnumerable(x.Select((f, i) => new VarRow { Features = f, Label = y[i] }).ToList());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.Mlp(Regression()).Fit(data));
        Assert.Contains("Feature column 'Features'", e.Message);
        Assert.Contains("variable-size", e.Message);
    }

    [Fact]
    public void ZeroRowsNamesTheColumns()
    {
        var e = FitFails(_ => KeyData([], Array.Empty<uint>()), ml => ml.MulticlassClassification.Trainers.Mlp(Multiclass()));
        Assert.Contains("no rows", e.Message);
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("'Label'", e.Message);
    }

    [Fact]
    public void SingleClassBinaryNamesTheLabelColumn()
    {
        var (x, _) = Iris();
        var e = FitFails(ml => BoolData(ml, x, new float[x.Length]), ml => ml.BinaryClassification.Trainers.Mlp(Binary()));
        Assert.Contains("Label column 'Label' has a single class", e.Message);
    }

    [Fact]
    public void SingleClassMulticlassNamesTheLabelColumn()
    {
        var (x, _) = Iris();
        var e = FitFails(ml => KeyData(ml, x, Enumerable.Repeat(2f, x.Length).ToArray()), ml => ml.MulticlassClassification.Trainers.Mlp(Multiclass()));
        Assert.Contains("Label column 'Label' has a single class", e.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-1f)]
    public void BadExampleWeightNamesColumnAndRow(float bad)
    {
        var (x, y) = Iris();
        var options = Binary();
        options.ExampleWeightColumnName = "Weight";
        var e = FitFails(ml => ml.Data.LoadFromEnumerable(x.Select((f, i) => new WeightedRow { Features = f, Label = y[i] >= 1, Weight = i == 33 ? bad : 1f }).ToList()),
            ml => ml.BinaryClassification.Trainers.Mlp(options));
        Assert.Contains("Example weight column 'Weight', row 33", e.Message);
        Assert.Contains("finite number ≥ 0", e.Message);
    }

    [Fact]
    public void NaNRegressionLabelNamesColumnAndRow()
    {
        var (x, y) = Iris();
        var labels = (float[])y.Clone();
        labels[120] = float.NaN;
        var e = FitFails(ml => FloatData(ml, x, labels), ml => ml.Regression.Trainers.Mlp(Regression()));
        Assert.Contains("Label column 'Label', row 120: the label is NaN", e.Message);
    }

    [Fact]
    public void SkipRowsWithNonFiniteFeaturesSkipsLogsTheCountAndTrains()
    {
        var (x, y) = Iris();
        x = Copy(x);
        int[] bad = [3, 50, 77, 149];
        x[3][0] = float.NaN;
        x[50][1] = float.PositiveInfinity;
        x[77][3] = float.NegativeInfinity;
        x[149][2] = float.NaN;
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var options = Multiclass(epochs: 50);
        options.SkipRowsWithNonFiniteFeatures = true;
        var model = ml.MulticlassClassification.Trainers.Mlp(options).Fit(KeyData(ml, x, y));

        string warning = Assert.Single(messages, m => m.Contains("SkipRowsWithNonFiniteFeatures"));
        Assert.Contains("skipped 4 training rows", warning);
        Assert.Contains("146 training rows kept", warning);
        var clean = Enumerable.Range(0, x.Length).Except(bad).ToArray();
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(KeyData(ml, clean.Select(i => x[i]).ToArray(), clean.Select(i => y[i]).ToArray())));
        Assert.True(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy:P1}");

        // Off by default: the same data fails, naming the first bad row.
        var e = Assert.Throws<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Mlp(Multiclass()).Fit(KeyData(ml, x, y)));
        Assert.Contains("row 3, slot 0", e.Message);
    }

    [Fact]
    public void SkipRowsWithNonFiniteFeaturesStillChecksLabelsOfKeptRows()
    {
        var (x, y) = Iris();
        x = Copy(x);
        x[10][0] = float.NaN;
        var labels = (float[])y.Clone();
        labels[10] = float.NaN; // on the skipped row: ignored
        labels[11] = float.NaN; // on a kept row: still an error with its input row number
        var options = Regression();
        options.SkipRowsWithNonFiniteFeatures = true;
        var e = FitFails(ml => FloatData(ml, x, labels), ml => ml.Regression.Trainers.Mlp(options));
        Assert.Contains("Label column 'Label', row 11", e.Message);
    }

    [Fact]
    public void SkipRowsWithNonFiniteFeaturesOnAllBadDataStillFails()
    {
        var (x, y) = Iris();
        x = Copy(x);
        foreach (var row in x) row[1] = float.NaN;
        var options = Multiclass();
        options.SkipRowsWithNonFiniteFeatures = true;
        var e = FitFails(ml => KeyData(ml, x, y), ml => ml.MulticlassClassification.Trainers.Mlp(options));
        Assert.Contains("all 150 rows were skipped", e.Message);
        Assert.Contains("'Features'", e.Message);
    }
}
