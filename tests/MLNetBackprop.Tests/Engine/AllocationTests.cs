using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// Steady-state training allocates nothing per mini-batch: the bytes allocated by this thread between
/// two consecutive batches of a later epoch (read in <see cref="TrainingSettings.CheckAlive"/>, which
/// the trainer calls once per batch) are 0, at 1 thread.
/// </summary>
[Collection(KernelThreadsCollection.Name)]
public class AllocationTests
{
    private static Dataset MakeData(int rows, int inputs, int classes, LossKind loss)
    {
        bool regression = loss != LossKind.SoftmaxCrossEntropy;
        var rng = new Random(5);
        var x = new Matrix(rows, inputs);
        var y = new float[rows * (regression ? classes : 1)];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < inputs; j++) x[i, j] = (float)rng.NextDouble();
            if (regression) for (int c = 0; c < classes; c++) y[i * classes + c] = loss == LossKind.SigmoidCrossEntropy ? rng.Next(2) : (float)rng.NextDouble();
            else y[i] = rng.Next(classes);
        }
        return new Dataset(x, y, regression ? classes : 1);
    }

    /// <summary>Bytes allocated between consecutive batches of the last epoch (skipping its first batch).</summary>
    private static long[] BytesPerBatch(NetworkSpec spec, Optimizer optimizer, int rows, int batch, double? clip = null)
    {
        var data = MakeData(rows, spec.InputSize, spec.OutputSize, spec.Loss);
        int batches = (rows + batch - 1) / batch, epochs = 3;
        var marks = new long[batches * epochs];
        int calls = 0;
        void Mark()
        {
            if (calls < marks.Length) marks[calls] = GC.GetAllocatedBytesForCurrentThread();
            calls++;
        }
        var net = new Network(spec, seed: 1);
        using (Kernels.UseThreads(1))
            new NetworkTrainer(net, new TrainingSettings { Epochs = epochs, BatchSize = batch, Optimizer = optimizer, Seed = 2, CheckAlive = Mark, GradientClipNorm = clip }).Train(data);
        Assert.Equal(marks.Length, calls);
        // The last epoch, from its 2nd batch: each difference spans one whole batch (gather, forward, loss, backward, step).
        int first = batches * (epochs - 1) + 1;
        return Enumerable.Range(first, marks.Length - first).Select(i => marks[i] - marks[i - 1]).ToArray();
    }

    [Theory]
    [InlineData("adam", false, 0f)]
    [InlineData("sgd", false, 0f)]
    [InlineData("momentum", true, 0f)]
    [InlineData("rmsprop", false, 0.2f)]
    [InlineData("nadam", true, 0.2f)]
    public void SteadyStateEpochAllocatesNothingPerBatch(string optimizer, bool batchNorm, float dropout)
    {
        var spec = new NetworkSpec { InputSize = 20, HiddenLayers = [64, 32], OutputSize = 4, BatchNorm = batchNorm, Dropout = dropout };
        var perBatch = BytesPerBatch(spec, optimizer, rows: 32 * 20 + 7, batch: 32);
        Assert.All(perBatch, b => Assert.Equal(0, b));
    }

    [Fact]
    public void LargeLayersAndClippingAllocateNothingPerBatch()
    {
        // Big enough that the products take the packed GEMM path; clipping adds a global-norm pass.
        var spec = new NetworkSpec { InputSize = 300, HiddenLayers = [256], OutputSize = 10, Activation = Activation.Tanh };
        var perBatch = BytesPerBatch(spec, Optimizer.Adam(), rows: 128 * 6, batch: 128, clip: 1.0);
        Assert.All(perBatch, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(LossKind.SoftmaxCrossEntropy, Activation.Selu)]
    [InlineData(LossKind.SigmoidCrossEntropy, Activation.Selu)]
    [InlineData(LossKind.MeanSquaredError, Activation.Mish)]
    public void TheTabularRecipesNetworkAllocatesNothingPerBatch(LossKind loss, Activation activation)
    {
        // Periodic embeddings of 17 of 40 features (the 512-bit and the generic paths both come up: 16 frequencies), the
        // input scale, neural-tangent layers with their learning-rate factors, label smoothing.
        var spec = new NetworkSpec
        {
            InputSize = 40, HiddenLayers = [64, 64], OutputSize = loss == LossKind.SoftmaxCrossEntropy ? 5 : 1, Loss = loss, Activation = activation,
            Parametrization = Parametrization.NeuralTangent, InputScaling = true, EmbeddedFeatures = [.. Enumerable.Range(0, 17).Select(i => 2 * i + 1)],
            LabelSmoothing = loss == LossKind.MeanSquaredError ? 0f : 0.1f,
        };
        var perBatch = BytesPerBatch(spec, Optimizer.Adam(0.04, beta2: 0.95), rows: 64 * 5 + 9, batch: 64);
        Assert.All(perBatch, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(LossKind.MeanSquaredError)]
    [InlineData(LossKind.Huber)]
    [InlineData(LossKind.SigmoidCrossEntropy)]
    public void OtherLossesAllocateNothingPerBatch(LossKind loss)
    {
        var spec = new NetworkSpec { InputSize = 12, HiddenLayers = [16], OutputSize = 3, Loss = loss, Activation = Activation.Gelu };
        var perBatch = BytesPerBatch(spec, Optimizer.Adam(), rows: 16 * 12, batch: 16);
        Assert.All(perBatch, b => Assert.Equal(0, b));
    }
}
