using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// Class weights are row weights: explicit <c>ClassWeights</c> train the same model, bit for bit, as an example-weight
/// column holding each row's class weight (binary in the documented [false, true] order, multiclass in key order), and
/// <see cref="ClassWeighting.Balanced"/> the same as explicit weights n/(k·n_c) computed here from the training labels.
/// Both the classic preset (one network, no validation) and the tabular one (an ensemble of 4 whose members hold out
/// validation folds: the weights reach the validation loss that picks each member's best epoch) are compared.
/// </summary>
public class ClassWeightTests
{
    private sealed class BoolRow
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
        public float Weight { get; set; }
    }

    private sealed class FloatRow
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
        public float Weight { get; set; }
    }

    private static SchemaDefinition Schema<T>(int size)
    {
        var def = SchemaDefinition.Create(typeof(T));
        def["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return def;
    }

    /// <summary>Every member's weights, running statistics and history, and the feature transform: equal bit for bit.</summary>
    internal static void AssertSameModel(MlpModelParameters expected, MlpModelParameters actual)
    {
        Assert.Equal(expected.EnsembleSize, actual.EnsembleSize);
        Assert.Equal(expected.FeatureMeans, actual.FeatureMeans);
        Assert.Equal(expected.FeatureScales, actual.FeatureScales);
        for (int m = 0; m < expected.EnsembleSize; m++)
        {
            var (a, b) = (expected.MemberHistories[m], actual.MemberHistories[m]);
            Assert.Equal(a.BestEpoch, b.BestEpoch);
            Assert.Equal(a.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss, e.ValidationMetric, e.LearningRate)),
                         b.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss, e.ValidationMetric, e.LearningRate)));
            var (sa, sb) = (expected.Members[m].StateBuffers(), actual.Members[m].StateBuffers());
            Assert.Equal(sa.Count, sb.Count);
            for (int i = 0; i < sa.Count; i++) Assert.True(sa[i].AsSpan().SequenceEqual(sb[i]), $"member {m}, state buffer {i} differs");
        }
    }

    /// <summary>Breast cancer (357 true, 212 false), the Weight column = <paramref name="weightOf"/>(label).</summary>
    private static IDataView Binary(MLContext ml, Func<bool, float> weightOf)
    {
        var (x, y) = Datasets.Load("breast_cancer.csv");
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, y.Length).Select(i => new BoolRow { Features = x[i], Label = y[i] == 1, Weight = weightOf(y[i] == 1) }).ToList(),
            Schema<BoolRow>(x[0].Length));
    }

    public static TheoryData<MlpPreset> Presets => [MlpPreset.Classic, MlpPreset.Tabular];

    [Theory]
    [MemberData(nameof(Presets))]
    public void BinaryClassWeightsAreTheExampleWeightColumnInFalseTrueOrder(MlpPreset preset)
    {
        float[] weights = [2.5f, 0.7f]; // [false, true]
        MlpBinaryTrainer.Options Options() => new(preset) { HiddenLayers = [16], Epochs = 6, Seed = 3, BatchSize = 64 };

        var ml = new MLContext(1);
        var data = Binary(ml, label => label ? weights[1] : weights[0]);
        var byClass = Options();
        byClass.ClassWeights = weights;
        var explicitModel = ml.BinaryClassification.Trainers.Mlp(byClass).Fit(data).Model;
        var byColumn = Options();
        byColumn.ExampleWeightColumnName = "Weight";
        var columnModel = ml.BinaryClassification.Trainers.Mlp(byColumn).Fit(data).Model;
        AssertSameModel(columnModel, explicitModel);

        // The weights matter (so the equality above is not that of two unweighted runs), and their order does.
        var swapped = Options();
        swapped.ClassWeights = [weights[1], weights[0]];
        Assert.NotEqual(explicitModel.History.Epochs[^1].TrainLoss, ml.BinaryClassification.Trainers.Mlp(swapped).Fit(data).Model.History.Epochs[^1].TrainLoss);
    }

    /// <remarks>
    /// Scaling every weight by a power of two changes no bit (the loss is a weighted mean), so the binary case cannot tell
    /// n/(2·n_c) from n/n_c — nor need it: the models are the same. The multiclass case (k = 3) can, and does.
    /// </remarks>
    [Fact]
    public void BinaryBalancedIsExplicitNOverKTimesNc()
    {
        var ml = new MLContext(1);
        var data = Binary(ml, _ => 1);
        var labels = data.GetColumn<bool>("Label").ToArray();
        int n = labels.Length, positives = labels.Count(l => l), negatives = n - positives;
        float[] expected = [(float)(n / (2.0 * negatives)), (float)(n / (2.0 * positives))];
        MlpBinaryTrainer.Options Options(ClassWeighting weighting, float[]? weights) =>
            new(MlpPreset.Classic) { HiddenLayers = [16], Epochs = 6, Seed = 3, BatchSize = 64, ClassWeighting = weighting, ClassWeights = weights };
        var balanced = ml.BinaryClassification.Trainers.Mlp(Options(ClassWeighting.Balanced, null)).Fit(data).Model;
        var byHand = ml.BinaryClassification.Trainers.Mlp(Options(ClassWeighting.Explicit, expected)).Fit(data).Model;
        AssertSameModel(byHand, balanced);
    }

    /// <summary>Wine (3 classes, 59/71/48 rows) keyed by MapValueToKey; the Weight column = weights[key − 1].</summary>
    private static (IDataView Data, uint[] Keys) Multiclass(MLContext ml, float[]? weights)
    {
        var (x, y) = Datasets.Load("wine.csv");
        var rows = Enumerable.Range(0, y.Length).Select(i => new FloatRow { Features = x[i], Label = y[i], Weight = 1 }).ToList();
        var raw = ml.Data.LoadFromEnumerable(rows, Schema<FloatRow>(x[0].Length));
        var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        var keys = key.Transform(raw).GetColumn<uint>("Label").ToArray();
        if (weights is not null)
            for (int i = 0; i < rows.Count; i++) rows[i].Weight = weights[keys[i] - 1];
        return (key.Transform(ml.Data.LoadFromEnumerable(rows, Schema<FloatRow>(x[0].Length))), keys);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void MulticlassClassWeightsAreTheExampleWeightColumnInKeyOrder(MlpPreset preset)
    {
        float[] weights = [0.6f, 1.9f, 1.3f];
        MlpMulticlassTrainer.Options Options() => new(preset) { HiddenLayers = [16], Epochs = 6, Seed = 3, BatchSize = 32 };
        var ml = new MLContext(1);
        var (data, _) = Multiclass(ml, weights);
        var byClass = Options();
        byClass.ClassWeights = weights;
        var explicitModel = ml.MulticlassClassification.Trainers.Mlp(byClass).Fit(data).Model;
        var byColumn = Options();
        byColumn.ExampleWeightColumnName = "Weight";
        var columnModel = ml.MulticlassClassification.Trainers.Mlp(byColumn).Fit(data).Model;
        AssertSameModel(columnModel, explicitModel);

        var rotated = Options();
        rotated.ClassWeights = [weights[1], weights[2], weights[0]];
        Assert.NotEqual(explicitModel.History.Epochs[^1].TrainLoss, ml.MulticlassClassification.Trainers.Mlp(rotated).Fit(data).Model.History.Epochs[^1].TrainLoss);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void MulticlassBalancedIsExplicitNOverKTimesNc(MlpPreset preset)
    {
        var ml = new MLContext(1);
        var (data, keys) = Multiclass(ml, null);
        int n = keys.Length, k = 3;
        var expected = Enumerable.Range(1, k).Select(c => (float)(n / (k * (double)keys.Count(key => key == c)))).ToArray();
        Assert.Equal(3, expected.Distinct().Count()); // unequal classes: balanced is not uniform
        MlpMulticlassTrainer.Options Options(ClassWeighting weighting, float[]? weights) =>
            new(preset) { HiddenLayers = [16], Epochs = 6, Seed = 3, BatchSize = 32, ClassWeighting = weighting, ClassWeights = weights };
        var balanced = ml.MulticlassClassification.Trainers.Mlp(Options(ClassWeighting.Balanced, null)).Fit(data).Model;
        var byHand = ml.MulticlassClassification.Trainers.Mlp(Options(ClassWeighting.Explicit, expected)).Fit(data).Model;
        AssertSameModel(byHand, balanced);
    }
}
