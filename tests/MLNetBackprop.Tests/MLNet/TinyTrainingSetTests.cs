using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>A training set too small to mean much trains, with a warning in MLContext.Log (issue 12 item D5).</summary>
public class TinyTrainingSetTests
{
    private sealed class Row
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public bool Flag { get; set; }
        public float Value { get; set; }
        public string Class { get; set; } = "";
    }

    private static (MLContext Ml, IDataView Data, List<string> Warnings) Rows(int n, int classes = 2, int seed = 1)
    {
        var ml = new MLContext(seed);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message); };
        var rows = Enumerable.Range(0, n).Select(i => new Row { Features = [i, i % 3], Flag = i % 2 == 0, Value = i, Class = (i % classes).ToString() }).ToList();
        return (ml, ml.Data.LoadFromEnumerable(rows), warnings);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(9)]
    public void FewerThanTenRowsWarnForEveryTask(int n)
    {
        var (ml, data, warnings) = Rows(n);
        ml.Transforms.CopyColumns("Label", "Flag").Append(ml.BinaryClassification.Trainers.Mlp(epochs: 1)).Fit(data);
        ml.Transforms.CopyColumns("Label", "Value").Append(ml.Regression.Trainers.Mlp(epochs: 1)).Fit(data);
        ml.Transforms.Conversion.MapValueToKey("Label", "Class").Append(ml.MulticlassClassification.Trainers.Mlp(epochs: 1)).Fit(data);
        Assert.Equal(3, warnings.Count);
        foreach (var w in warnings)
        {
            Assert.Contains($"Only {n} training rows (feature column 'Features', label column 'Label'), fewer than the 10 wanted", w);
            Assert.Contains("each of the 4 networks trains on about 80", w);
        }
        // The regression rule names no classes; the classification rules do.
        Assert.Single(warnings, w => w.Contains("(at least 10 rows)"));
        Assert.Equal(2, warnings.Count(w => w.Contains("at least 10 rows and 2 per class (2 classes)")));
    }

    /// <summary>A single network's validation holdout of a single regression row used to leave nothing to train on
    /// ("ValidationFraction leaves no training rows"); that row now trains, as it does in an ensemble's folds.</summary>
    [Fact]
    public void OneRowOfRegressionTrainsAndWarnsInTheSingular()
    {
        var (ml, data, warnings) = Rows(1);
        ml.Transforms.CopyColumns("Label", "Value").Append(ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options { EnsembleSize = 1, Epochs = 1 })).Fit(data);
        var w = Assert.Single(warnings);
        Assert.Contains("Only 1 training row (feature column", w);
        Assert.DoesNotContain("networks trains", w);
    }

    [Fact]
    public void ClassificationWantsTwoRowsPerClass()
    {
        // 12 rows are enough for regression, not for 8 classes (16 wanted).
        var (ml, data, warnings) = Rows(12, classes: 8);
        ml.Transforms.Conversion.MapValueToKey("Label", "Class").Append(ml.MulticlassClassification.Trainers.Mlp(epochs: 1)).Fit(data);
        Assert.Contains("Only 12 training rows", Assert.Single(warnings));
        Assert.Contains("fewer than the 16 wanted (at least 10 rows and 2 per class (8 classes))", warnings[0]);
        warnings.Clear();
        ml.Transforms.CopyColumns("Label", "Value").Append(ml.Regression.Trainers.Mlp(epochs: 1)).Fit(data);
        Assert.Empty(warnings);
    }

    [Fact]
    public void TenRowsDoNotWarn()
    {
        var (ml, data, warnings) = Rows(10);
        ml.Transforms.CopyColumns("Label", "Flag").Append(ml.BinaryClassification.Trainers.Mlp(epochs: 1)).Fit(data);
        ml.Transforms.CopyColumns("Label", "Value").Append(ml.Regression.Trainers.Mlp(epochs: 1)).Fit(data);
        Assert.Empty(warnings);
    }

    [Fact]
    public void AStreamedTinySetWarnsToo()
    {
        var (ml, data, warnings) = Rows(3);
        // 10 million claimed rows × (2 features + 2) × 4 bytes exceed a 1 MB budget: streamed.
        var claimed = new OverstatedRowCountView(ml.Transforms.CopyColumns("Label", "Value").Fit(data).Transform(data), 10_000_000);
        var options = new MlpRegressionTrainer.Options { MemoryBudgetMegabytes = 1, EnsembleSize = 1, Epochs = 1, ValidationFraction = 0 };
        Assert.NotNull(MlpTrainingCore.StreamingWindowRows(options, claimed, TrainingDataReader.CheckSchema(claimed.Schema, TaskKind.Regression, "Features", "Label", null)));
        ml.Regression.Trainers.Mlp(options).Fit(claimed);
        Assert.Contains("Only 3 training rows (feature column 'Features', label column 'Label'), fewer than the 10 wanted (at least 10 rows)", Assert.Single(warnings));
    }
}
