using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>
/// Issue 11 item 2: a small model.zip whose payload inflates to a large, valid network of zeros. Loading it must cost
/// about the payload's size (values read straight into their final arrays), not a multiple of it.
/// Runs alone: its 30–100 MB allocations would disturb the heap other tests measure.
/// </summary>
[Collection(MLNet.MemoryMeasurementCollection.Name)]
public class ZipBombTests
{
    /// <summary>A valid regression model 128 → [width] → 1 whose every value is zero, saved as model.zip bytes.</summary>
    internal static (byte[] Zip, long PayloadBytes) ZeroNetworkZip(int width, int inputs = 128)
    {
        var ml = new MLContext(1);
        var spec = new NetworkSpec
        {
            InputSize = inputs, HiddenLayers = [width], Activation = Activation.Relu, OutputSize = 1, Loss = LossKind.MeanSquaredError,
        };
        var network = Network.ForLoading(spec);
        var model = new MlpModelParameters(network, FeatureTransform.Identity(inputs), 0f, 1f, new TrainingHistory());
        var transformer = new MlpRegressionPredictionTransformer(ml, model, "Features");
        var schema = ml.Data.LoadFromEnumerable(Array.Empty<HardeningData.FloatRow>()).Schema;
        using var zip = new MemoryStream();
        ml.Model.Save(transformer, null, zip);
        return (zip.ToArray(), spec.StateValueCount() * 4);
    }

    [Fact]
    public void LoadingAZeroNetworkBombCostsAboutItsPayload()
    {
        // 128 → [65536] → 1: 8.5 million values, a 34 MB payload that deflates to a few hundred kB.
        var (zip, payload) = ZeroNetworkZip(1 << 16);
        Assert.True(zip.Length * 20 < payload, $"zip {zip.Length} bytes for a {payload}-byte payload: not a bomb");

        var ml = new MLContext(1).RegisterBackprop();
        ml.Model.Load(new MemoryStream(zip), out _); // warm up ML.NET's own one-time costs
        long before = GC.GetAllocatedBytesForCurrentThread();
        var loaded = ml.Model.Load(new MemoryStream(zip), out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The network's values (= the payload) plus a small constant; before the fix it was about 5× the payload.
        Assert.True(allocated < payload * 1.25 + (8 << 20), $"loading allocated {allocated:N0} bytes for a {payload:N0}-byte payload");
        // One row through the per-row path (a block product would leave a weight-sized packing buffer in the shared pool).
        var engine = ml.Model.CreatePredictionEngine<Row128, ScoreRow>(loaded);
        Assert.Equal(0f, engine.Predict(new Row128()).Score);
    }

    private sealed class Row128
    {
        [VectorType(128)] public float[] Features { get; set; } = new float[128];
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}
