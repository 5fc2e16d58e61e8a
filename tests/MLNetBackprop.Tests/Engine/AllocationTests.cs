using MLNetBackprop.Engine;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// Steady-state training allocates nothing per mini-batch: the bytes allocated between two consecutive batches of a
/// later epoch (read in <see cref="TrainingSettings.CheckAlive"/>, which the trainer calls once per batch) are 0 — by
/// this thread, and at 2 threads by the pool's helper too (it runs GEMM tiles and optimizer chunks).
/// A one-time allocation (tiered JIT replacing a method, a helper's first wait) does not
/// repeat: a measurement with any non-zero batch is repeated, up to <see cref="Attempts"/> runs, and the test passes when
/// one run is all zeros; an allocation the training loop makes per batch shows up in every run.
/// </summary>
[Collection(KernelThreadsCollection.Name)]
public class AllocationTests(ITestOutputHelper output)
{
    private const int Attempts = 3;

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

    /// <summary>
    /// Bytes allocated between consecutive batches of the last epoch (skipping its first batch) — by this thread, and at
    /// more than 1 thread by the pool's helpers (<see cref="WorkerPool.HelperAllocatedBytes"/>: their own threads' counts,
    /// so the test runner's and the runtime's threads are not included) — and the items the helpers ran over those batches.
    /// </summary>
    private static (long[] Bytes, long HelperItems) BytesPerBatch(NetworkSpec spec, Optimizer optimizer, int rows, int batch, double? clip = null, int threads = 1)
    {
        var data = MakeData(rows, spec.InputSize, spec.OutputSize, spec.Loss);
        int batches = (rows + batch - 1) / batch, epochs = 3;
        var marks = new long[batches * epochs];
        var helped = new long[batches * epochs];
        int calls = 0;
        void Mark()
        {
            if (calls < marks.Length)
            {
                marks[calls] = GC.GetAllocatedBytesForCurrentThread() + (threads == 1 ? 0 : WorkerPool.HelperAllocatedBytes);
                helped[calls] = WorkerPool.HelperItems;
            }
            calls++;
        }
        var net = new Network(spec, seed: 1);
        WorkerPool.EndBackoff(); // an earlier stall may have left the pool running dispatches inline
        using (Kernels.UseThreads(threads))
            new NetworkTrainer(net, new TrainingSettings { Epochs = epochs, BatchSize = batch, Optimizer = optimizer, Seed = 2, CheckAlive = Mark, GradientClipNorm = clip }).Train(data);
        Assert.Equal(marks.Length, calls);
        // The last epoch, from its 2nd batch: each difference spans one whole batch (gather, forward, loss, backward, step).
        int first = batches * (epochs - 1) + 1;
        return (Enumerable.Range(first, marks.Length - first).Select(i => marks[i] - marks[i - 1]).ToArray(), helped[^1] - helped[first - 1]);
    }

    /// <summary>
    /// Zero bytes in every batch of one of up to <see cref="Attempts"/> measurements (see the class remarks). At more than
    /// one thread a measurement counts only when the pool's helper ran items in it (else it measured the caller alone:
    /// on a busy machine the helper may get no core), with up to <see cref="Attempts"/> more tries for that; if the helper
    /// never ran, the output says so and the caller's zero is what was shown.
    /// </summary>
    private void AssertNothingPerBatch(Func<(long[] Bytes, long HelperItems)> measure, int threads = 1)
    {
        long[] perBatch = [];
        int withoutHelper = 0;
        for (int attempt = 1; attempt <= Attempts + withoutHelper; attempt++)
        {
            (perBatch, long helperItems) = measure();
            bool zero = perBatch.All(b => b == 0);
            if (zero && threads > 1 && helperItems == 0 && withoutHelper < Attempts)
            {
                withoutHelper++;
                output.WriteLine($"measurement {attempt}: 0 bytes, but the pool's helper ran no items (busy machine): measuring again");
                continue;
            }
            if (zero)
            {
                output.WriteLine($"{perBatch.Length} batches, 0 bytes each (measurement {attempt}); the pool's helper ran {helperItems} items" +
                    (threads > 1 && helperItems == 0 ? $" — in none of {attempt} measurements did it run any: only the calling thread's side was shown at {threads} threads" : ""));
                return;
            }
            output.WriteLine($"measurement {attempt}: bytes per batch {string.Join(", ", perBatch)}; helper items {helperItems}");
        }
        Assert.All(perBatch, b => Assert.Equal(0, b));
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
        AssertNothingPerBatch(() => BytesPerBatch(spec, optimizer, rows: 32 * 20 + 7, batch: 32));
    }

    [Fact]
    public void LargeLayersAndClippingAllocateNothingPerBatch()
    {
        // Big enough that the products take the packed GEMM path; clipping adds a global-norm pass.
        var spec = new NetworkSpec { InputSize = 300, HiddenLayers = [256], OutputSize = 10, Activation = Activation.Tanh };
        AssertNothingPerBatch(() => BytesPerBatch(spec, Optimizer.Adam(), rows: 128 * 6, batch: 128, clip: 1.0));
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
        AssertNothingPerBatch(() => BytesPerBatch(spec, Optimizer.Adam(0.04, beta2: 0.95), rows: 64 * 5 + 9, batch: 64));
    }

    [Theory]
    [InlineData(LossKind.MeanSquaredError)]
    [InlineData(LossKind.Huber)]
    [InlineData(LossKind.SigmoidCrossEntropy)]
    public void OtherLossesAllocateNothingPerBatch(LossKind loss)
    {
        var spec = new NetworkSpec { InputSize = 12, HiddenLayers = [16], OutputSize = 3, Loss = loss, Activation = Activation.Gelu };
        AssertNothingPerBatch(() => BytesPerBatch(spec, Optimizer.Adam(), rows: 16 * 12, batch: 16));
    }

    public static TheoryData<string, int> EveryOptimizerAtOneAndTwoThreads()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Optimizer.Names)
            foreach (int threads in new[] { 1, 2 })
                data.Add(name, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryOptimizerAtOneAndTwoThreads))]
    public void EveryOptimizerAllocatesNothingPerBatchAtOneAndTwoThreads(string optimizer, int threads)
    {
        // Large enough that at 2 threads the products are split into tiles (≥ 2 × 1.5 MFLOP) and the optimizer's
        // 76,800-weight buffer into chunks (≥ 32,768 values) for the pool's helper; dropout and batch norm on.
        var spec = new NetworkSpec { InputSize = 300, HiddenLayers = [256], OutputSize = 10, BatchNorm = true, Dropout = 0.1f };
        Assert.True(spec.InputSize * spec.HiddenLayers[0] >= OptimizerKernels.ParallelThreshold);
        AssertNothingPerBatch(() => BytesPerBatch(spec, Optimizer.FromName(optimizer), rows: 128 * 6, batch: 128, threads: threads), threads);
    }
}
