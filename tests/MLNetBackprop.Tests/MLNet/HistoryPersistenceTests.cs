using Microsoft.ML;
using MLNetBackprop.Internals;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>The training history is saved with the model (Mlp body version 2) and read back exactly.</summary>
public class HistoryPersistenceTests
{
    private static void AssertSameHistory(TrainingHistory expected, TrainingHistory actual)
    {
        Assert.Equal(expected.BestEpoch, actual.BestEpoch);
        Assert.Equal(expected.StopReason, actual.StopReason);
        Assert.Equal(expected.Epochs.Count, actual.Epochs.Count);
        for (int i = 0; i < expected.Epochs.Count; i++)
        {
            var (e, a) = (expected.Epochs[i], actual.Epochs[i]);
            Assert.Equal(e.GradientNorms, a.GradientNorms);
            Assert.Equal((e.Epoch, e.TrainLoss, e.ValidationLoss, e.ValidationMetric, e.LearningRate, e.Elapsed),
                         (a.Epoch, a.TrainLoss, a.ValidationLoss, a.ValidationMetric, a.LearningRate, a.Elapsed));
        }
    }

    private static ITransformer SaveAndLoad(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        stream.Position = 0;
        return new MLContext(9).RegisterBackprop().Model.Load(stream, out _);
    }

    [Fact]
    public void MulticlassHistoryWithValidationSurvivesSaveAndLoad()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var raw = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options(MlpPreset.Classic)
        {
            HiddenLayers = [8, 4], Epochs = 6, ValidationFraction = 0.2f, EarlyStopping = new EarlyStopping { Monitor = ValidationMonitor.Accuracy },
        }).Fit(data);
        Assert.Equal(6, model.History.Epochs.Count);
        Assert.All(model.History.Epochs, e => Assert.True(e.ValidationLoss.HasValue && e.ValidationMetric.HasValue && e.GradientNorms.Length == 3));

        var loaded = Assert.IsType<MlpMulticlassPredictionTransformer>(SaveAndLoad(ml, model, data.Schema));
        AssertSameHistory(model.History, loaded.History);
        Assert.NotEmpty(loaded.History.StopReason);
    }

    [Fact]
    public void RegressionHistoryWithoutValidationSurvivesSaveAndLoad()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var model = ml.Regression.Trainers.Mlp(new MlpRegressionTrainer.Options(MlpPreset.Classic) { HiddenLayers = [], Epochs = 3 }).Fit(data);
        Assert.All(model.History.Epochs, e => Assert.Null(e.ValidationLoss));
        var loaded = Assert.IsType<MlpRegressionPredictionTransformer>(SaveAndLoad(ml, model, data.Schema));
        AssertSameHistory(model.History, loaded.History);
        Assert.Equal(3, loaded.History.BestEpoch);
    }

    private static MlpModelParameters Trained(out MLContext ml)
    {
        ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
        return ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options(MlpPreset.Classic) { HiddenLayers = [4], Epochs = 2 }).Fit(data).Model;
    }

    private static MlpModelParameters RoundTrip(MlpModelParameters model, int bodyVersion)
    {
        var w = new PayloadWriter(MlpModelSerializer.Kind, bodyVersion);
        MlpModelSerializer.Write(w, TaskKind.Binary, "Features", model, keyValues: null);
        var r = PayloadReader.FromBytes(w.ToArray(), MlpModelSerializer.Kind, MlpModelSerializer.MinBodyVersion, MlpModelSerializer.BodyVersion);
        return MlpModelSerializer.Read(r, TaskKind.Binary).Model;
    }

    [Fact]
    public void AVersion1BodyLoadsWithAnEmptyHistory()
    {
        var model = Trained(out _);
        var v1 = RoundTrip(model, 1);
        Assert.Empty(v1.History.Epochs);
        Assert.Equal(0, v1.History.BestEpoch);
        Assert.Equal("", v1.History.StopReason);
        AssertSameHistory(model.History, RoundTrip(model, 2).History);
    }

    [Fact]
    public void ALongStopReasonIsCutAt4096Bytes()
    {
        var model = Trained(out _);
        var history = new TrainingHistory { BestEpoch = 0, StopReason = string.Concat(Enumerable.Repeat("é", 3000)) }; // 6000 UTF-8 bytes
        var withLongReason = new MlpModelParameters(model.Network, model.Features, model.LabelMean, model.LabelScale, history);
        var read = RoundTrip(withLongReason, 2);
        Assert.Equal(new string('é', 2048), read.History.StopReason);
    }

    [Fact]
    public void AForgedHistoryCountIsRejectedByName()
    {
        var model = Trained(out _);
        var w = new PayloadWriter(MlpModelSerializer.Kind, 2);
        MlpModelSerializer.Write(w, TaskKind.Binary, "Features", model, keyValues: null);
        var frame = w.ToArray();
        // The history's epoch count follows the state buffers: find it from the end (2 epochs of 2 gradient norms each, no validation).
        int historyBytes = 4 + 2 * (4 + 8 + 1 + 1 + 8 + 8 + 4 + 2 * 8) + 4 + 4 + System.Text.Encoding.UTF8.GetByteCount(model.History.StopReason);
        int at = frame.Length - 32 - historyBytes;
        Assert.Equal(2, BitConverter.ToInt32(frame, at));
        BitConverter.GetBytes(int.MaxValue).CopyTo(frame, at);
        System.Security.Cryptography.SHA256.HashData(frame.AsSpan(0, frame.Length - 32), frame.AsSpan(frame.Length - 32));
        var r = PayloadReader.FromBytes(frame, MlpModelSerializer.Kind, 1, 2);
        var e = Assert.Throws<InvalidDataException>(() => MlpModelSerializer.Read(r, TaskKind.Binary));
        Assert.Contains("history epochs", e.Message);
    }
}
