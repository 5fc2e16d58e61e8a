using Microsoft.ML;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>An MLContext that built any of our estimators can load every MLNetBackprop transformer.</summary>
public class RegistrationTests
{
    private static byte[] SavedMlpModel()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
        var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [4], Epochs = 2 }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.ToArray();
    }

    [Fact]
    public void AContextThatOnlyBuiltBatchNormalizeLoadsAnMlpModel()
    {
        var zip = SavedMlpModel();
        var consumer = new MLContext(2);
        _ = consumer.Transforms.BatchNormalize("Normalized", "Features"); // only our Transforms estimator
        var loaded = consumer.Model.Load(new MemoryStream(zip), out _);
        Assert.IsType<MlpBinaryPredictionTransformer>(loaded);
    }

    [Fact]
    public void TheTrainersRegistrationIsFoundByItsFixedName()
    {
        var type = Type.GetType(TransformsRegistration.TrainerRegistrationType, throwOnError: false);
        Assert.Equal(typeof(TrainerRegistration), type);
        // Registration through either entry point is idempotent and does not recurse.
        var ml = new MLContext(3);
        TrainerRegistration.Register(ml);
        TransformsRegistration.Register(ml);
        ml.RegisterBackprop();
    }
}
