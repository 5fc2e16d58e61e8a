using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

public class ValidationTests
{
    private static (MLContext Ml, IDataView Data) Iris()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        return (ml, MLData.Float(ml, x, y, Enumerable.Range(0, y.Length)));
    }

    public static TheoryData<string, Action<MlpMulticlassTrainer.Options>> BadOptions => new()
    {
        { "HiddenLayers", o => o.HiddenLayers = [16, 0] },
        { "Dropout", o => o.Dropout = 1f },
        { "L2", o => o.L2 = -1 },
        { "Epochs", o => o.Epochs = 0 },
        { "BatchSize", o => o.BatchSize = 0 },
        { "ValidationFraction", o => o.ValidationFraction = 1.5f },
        { "LeakyReluSlope", o => o.LeakyReluSlope = float.NaN },
        { "Activation", o => o.Activation = (Activation)99 },
        { "WeightInit", o => o.WeightInit = (WeightInit)99 },
        { "LabelSmoothing", o => o.LabelSmoothing = 1f },
        { "GradientClipNorm", o => o.GradientClipNorm = 0 },
        { "NumberOfThreads", o => o.NumberOfThreads = 0 },
        { "FeatureColumnName", o => o.FeatureColumnName = "" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void EveryOptionIsValidatedWithItsName(string option, Action<MlpMulticlassTrainer.Options> spoil)
    {
        var options = new MlpMulticlassTrainer.Options();
        spoil(options);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.Mlp(options));
        Assert.Equal(option, e.ParamName);
    }

    [Fact]
    public void OptimizerCanBeGivenByName()
    {
        var options = new MlpBinaryTrainer.Options { Optimizer = "nesterov" };
        Assert.Equal("nesterov", options.Optimizer.Name);
        var e = Assert.Throws<ArgumentException>(() => new MlpBinaryTrainer.Options { Optimizer = "adamm" });
        Assert.Contains("adamw", e.Message);
    }

    [Fact]
    public void MissingFeatureColumnIsNamedAtGetOutputSchemaAndFit()
    {
        var (ml, data) = Iris();
        var trainer = ml.Regression.Trainers.Mlp(featureColumnName: "Nope");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(MLNetBackprop.Internals.MLNetBridge.ShapeOf(data.Schema)));
        Assert.Contains("'Nope'", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        Assert.Contains("'Nope'", e.Message);
    }

    [Fact]
    public void NonVectorFeaturesAreRejected()
    {
        var (ml, data) = Iris();
        var trainer = ml.Regression.Trainers.Mlp(featureColumnName: "Label");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        Assert.Contains("'Label'", e.Message);
        Assert.Contains("known-size vector", e.Message);
    }

    [Fact]
    public void VariableSizeFeaturesAreRejected()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new MLData.FloatRow { Features = [1, 2], Label = 1 }, new MLData.FloatRow { Features = [3, 4], Label = 2 }]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.Mlp().Fit(data));
        Assert.Contains("variable-size", e.Message);
    }

    [Fact]
    public void MulticlassLabelMustBeAKey()
    {
        var (ml, data) = Iris();
        var trainer = ml.MulticlassClassification.Trainers.Mlp();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(MLNetBackprop.Internals.MLNetBridge.ShapeOf(data.Schema)));
        Assert.Contains("'Label'", e.Message);
        Assert.Contains("key", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        Assert.Contains("MapValueToKey", e.Message);
    }

    [Fact]
    public void RegressionLabelMustBeSingle()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("breast_cancer.csv");
        var data = MLData.Bool(ml, x, y, Enumerable.Range(0, 50));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.Mlp().Fit(data));
        Assert.Contains("Label column 'Label' has type Boolean; regression needs a Single label", e.Message);
        var b = Assert.Throws<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.Mlp().Fit(MLData.Float(ml, x, y, Enumerable.Range(0, 50))));
        Assert.Contains("Label column 'Label' has type Single; binary classification needs a Boolean label", b.Message);
    }

    private sealed class DoubleLabelRow
    {
        [Microsoft.ML.Data.VectorType(2)] public float[] Features { get; set; } = [];
        public double Target { get; set; }
    }

    private static IDataView DoubleLabels(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, 40).Select(i => new DoubleLabelRow { Features = [i % 2, i % 5], Target = i % 2 }).ToList());

    [Fact]
    public void ABinaryLabelOfTheWrongTypeSaysHowToConvertIt_AndTheAdviceWorks()
    {
        var ml = new MLContext(1);
        var data = DoubleLabels(ml);
        var trainer = ml.BinaryClassification.Trainers.Mlp(labelColumnName: "Target", hiddenLayers: [4], epochs: 2);
        foreach (var e in new[]
                 {
                     Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data)),
                     Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(MLNetBackprop.Internals.MLNetBridge.ShapeOf(data.Schema))),
                 })
        {
            Assert.Contains("Label column 'Target' has type Double; binary classification needs a Boolean label: load it as bool", e.Message);
            Assert.Contains("public bool Target", e.Message);
            Assert.Contains("mlContext.Transforms.Conversion.ConvertType(\"Target\", outputKind: DataKind.Boolean)", e.Message);
            Assert.Contains("CustomMapping", e.Message);
        }
        // The advice, followed: 0/1 numbers become false/true and the trainer accepts them.
        var model = ml.Transforms.Conversion.ConvertType("Target", outputKind: Microsoft.ML.Data.DataKind.Boolean).Append(trainer).Fit(data);
        Assert.Equal(40, model.Transform(data).GetColumn<bool>("PredictedLabel").Count());
    }

    [Fact]
    public void ARegressionLabelOfTheWrongTypeSaysHowToConvertIt_AndTheAdviceWorks()
    {
        var ml = new MLContext(1);
        var data = DoubleLabels(ml);
        var trainer = ml.Regression.Trainers.Mlp(labelColumnName: "Target", hiddenLayers: [4], epochs: 2);
        foreach (var e in new[]
                 {
                     Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data)),
                     Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(MLNetBackprop.Internals.MLNetBridge.ShapeOf(data.Schema))),
                 })
        {
            Assert.Contains("Label column 'Target' has type Double; regression needs a Single label: load it as float", e.Message);
            Assert.Contains("public float Target", e.Message);
            Assert.Contains("mlContext.Transforms.Conversion.ConvertType(\"Target\", outputKind: DataKind.Single)", e.Message);
        }
        var model = ml.Transforms.Conversion.ConvertType("Target", outputKind: Microsoft.ML.Data.DataKind.Single).Append(trainer).Fit(data);
        Assert.Equal(40, model.Transform(data).GetColumn<float>("Score").Count());
    }

    [Fact]
    public void AMulticlassLabelThatIsNotAKeyNamesMapValueToKeyWithTheColumn()
    {
        var ml = new MLContext(1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Mlp(labelColumnName: "Target").Fit(DoubleLabels(ml)));
        Assert.Contains("Label column 'Target' has type Double; multiclass classification needs a key label", e.Message);
        Assert.Contains("MapValueToKey(\"Target\")", e.Message);
    }

    [Fact]
    public void WrongVectorSizeAtScoringNamesBothSizes()
    {
        var (ml, data) = Iris();
        var model = ml.Regression.Trainers.Mlp(epochs: 2).Fit(data);
        var (x, y) = Datasets.Load("wine.csv");
        var other = MLData.Float(ml, x, y, Enumerable.Range(0, 10));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(other));
        Assert.Contains("13", e.Message);
        Assert.Contains("4", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]   // a 1 MB budget streams the data
    public void EmptyValidationDataIsNamedAsValidationData(int? budget)
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("concrete.csv");
        var train = MLData.Float(ml, x, y, Enumerable.Range(0, 200));
        var empty = MLData.Float(ml, x, y, []);
        var options = new MlpRegressionTrainer.Options { Epochs = 1, MemoryBudgetMegabytes = budget };
        // 40 copies of concrete: 41,200 rows × (8 features + 2) × 4 bytes ≈ 1.6 MB, over the 1 MB budget.
        if (budget is not null) train = MLData.Float(ml, x, y, Enumerable.Range(0, 40 * y.Length).Select(i => i % y.Length));
        var e = Assert.Throws<InvalidOperationException>(() => ml.Regression.Trainers.Mlp(options).Fit(train, empty));
        Assert.Contains("validation data has no rows", e.Message);
        // The budget really took the streamed path (the check exists in both).
        Assert.Equal(budget is not null, e.StackTrace!.Contains("TrainStreamed"));
    }
}
