// This file deliberately has no `using MLNetBackprop…` and lives outside the MLNetBackprop namespaces: it compiles
// only if every catalog extension of the library is reachable with `using Microsoft.ML;` alone, as ML.NET's own
// trainer packages' are (issue 12, item A). Do not add a using of ours here.
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DiscoverabilityCheck;

public class OnlyMicrosoftMlUsingTests
{
    public sealed class Row
    {
        [VectorType(4)] public float[] Features { get; set; } = [];
        public string Class { get; set; } = "";
        public bool Flag { get; set; }
        public float Value { get; set; }
    }

    private static IDataView Data(MLContext ml)
    {
        var rows = Enumerable.Range(0, 40).Select(i =>
        {
            float a = i % 4, b = (i * 7) % 5, c = (i * 3) % 11, d = i % 2;
            return new Row { Features = [a, b, c, d], Class = ((int)a).ToString(), Flag = d == 1, Value = a + 0.5f * b };
        }).ToList();
        return ml.Data.LoadFromEnumerable(rows);
    }

    [Fact]
    public void EveryCatalogExtensionIsReachableWithUsingMicrosoftMlAlone()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);

        var multiclass = ml.Transforms.Conversion.MapValueToKey("Label", "Class")
            .Append(ml.MulticlassClassification.Trainers.Mlp(hiddenLayers: [4], epochs: 2))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel"))
            .Fit(data);
        var binary = ml.Transforms.CopyColumns("Label", "Flag")
            .Append(ml.BinaryClassification.Trainers.Mlp(hiddenLayers: [4], epochs: 2, optimizer: "adam"))
            .Fit(data);
        var regression = ml.Transforms.BatchNormalize("Normalized", "Features")
            .Append(ml.Transforms.CopyColumns("Label", "Value"))
            .Append(ml.Regression.Trainers.Mlp(featureColumnName: "Normalized", hiddenLayers: [4], epochs: 2))
            .Fit(data);

        Assert.Equal(40, multiclass.Transform(data).GetColumn<string>("PredictedClass").Count());
        Assert.Equal(40, binary.Transform(data).GetColumn<bool>("PredictedLabel").Count());
        Assert.Equal(4, ml.MulticlassClassification.PermutationFeatureImportanceOfMlp(multiclass, data).Count);
        Assert.Equal(4, ml.BinaryClassification.PermutationFeatureImportanceOfMlp(binary, data).Count);
        Assert.Equal(4, ml.Regression.PermutationFeatureImportanceOfMlp(regression, data).Count);

        string path = Path.Combine(Path.GetTempPath(), $"discoverability-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.SaveAtomic(regression, data.Schema, path);
            var consumer = new MLContext(seed: 2).RegisterBackprop();
            var loaded = consumer.Model.Load(path, out _);
            var checkedLoad = new MLContext(seed: 3).Model.LoadChecked(path, out _);
            var expected = regression.Transform(data).GetColumn<float>("Score").ToArray();
            Assert.Equal(expected, loaded.Transform(data).GetColumn<float>("Score").ToArray());
            Assert.Equal(expected, checkedLoad.Transform(data).GetColumn<float>("Score").ToArray());
        }
        finally { File.Delete(path); }
    }
}
