using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The single-row scoring path: same results as the batch network, the padded register-tiled
/// product gives the same bits as the plain row product, and a row allocates nothing.</summary>
public class InferenceNetworkTests
{
    private static Network Trained(NetworkSpec spec)
    {
        var net = new Network(spec, seed: 4);
        var rng = new Random(8);
        // Perturb biases (and BatchNorm statistics through a training forward) so nothing is trivially 0.
        foreach (var p in net.Parameters) if (!p.IsWeight) for (int i = 0; i < p.Length; i++) p.Value[i] = (float)(rng.NextDouble() - 0.5);
        var x = new Matrix(8, spec.InputSize);
        for (int i = 0; i < 8; i++) for (int j = 0; j < spec.InputSize; j++) x[i, j] = (float)rng.NextDouble();
        if (spec.BatchNorm) net.Forward(x, training: true);
        return net;
    }

    [Theory]
    [InlineData(16, new[] { 64 }, 26, Activation.Relu, false)]
    [InlineData(784, new[] { 256, 128 }, 10, Activation.Relu, false)]
    [InlineData(7, new[] { 33, 129, 5 }, 3, Activation.LeakyRelu, true)]
    [InlineData(20, new[] { 17 }, 1, Activation.Tanh, false)]
    [InlineData(9, new[] { 40 }, 4, Activation.Gelu, true)]
    [InlineData(5, new int[0], 2, Activation.Relu, false)]
    public void MatchesTheNetworkAndAllocatesNothing(int inputs, int[] hidden, int outputs, Activation activation, bool batchNorm)
    {
        var spec = new NetworkSpec { InputSize = inputs, HiddenLayers = hidden, OutputSize = outputs, Activation = activation, BatchNorm = batchNorm,
            Loss = outputs == 1 ? LossKind.SigmoidCrossEntropy : LossKind.SoftmaxCrossEntropy };
        var net = Trained(spec);
        var inference = new InferenceNetwork(net);
        var scratch = inference.CreateScratch();
        var rng = new Random(2);
        var x = new Matrix(5, inputs);
        for (int i = 0; i < 5; i++) for (int j = 0; j < inputs; j++) x[i, j] = rng.Next(4) == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1);
        var expected = net.Predict(x);
        var output = new float[outputs];
        for (int r = 0; r < 5; r++)
        {
            inference.Predict(x.Row(r), output, scratch);
            for (int k = 0; k < outputs; k++) Assert.Equal(expected[r, k], output[k], 1e-4f);
        }
        // A per-call allocation shows up on every attempt; a one-time runtime allocation charged to this
        // thread (tiered-JIT bookkeeping when a method is promoted mid-measurement) shows up once.
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int r = 0; r < 5; r++) inference.Predict(x.Row(r), output, scratch);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
    }

    [Theory]
    [InlineData(16, 64, Activation.Identity)]
    [InlineData(784, 256, Activation.Relu)]
    [InlineData(33, 200, Activation.LeakyRelu)]
    [InlineData(3, 26, Activation.Relu)]
    [InlineData(300, 17, Activation.Relu)] // two k-blocks in the GEMM
    public void PaddedProductMatchesGemmBitForBit(int inputs, int outputs, Activation fused)
    {
        var rng = new Random(inputs * 31 + outputs);
        int stride = Kernels.PaddedColumns(outputs);
        var w = new float[inputs * outputs];
        var pw = new float[inputs * stride];
        var b = new float[stride];
        var x = new float[inputs];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < inputs; i++) w.AsSpan(i * outputs, outputs).CopyTo(pw.AsSpan(i * stride));
        for (int j = 0; j < outputs; j++) b[j] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < inputs; i++) x[i] = rng.Next(5) == 0 ? (rng.Next(2) == 0 ? 0f : -0f) : (float)(rng.NextDouble() * 2 - 1);

        // The GEMM's element: one FMA chain from +0 in ascending k; then bias and activation on a padded row.
        var c = new float[outputs];
        Kernels.MatMul(x, w, c, 1, inputs, outputs);
        var expected = new float[stride];
        c.CopyTo(expected, 0);
        var kind = fused switch { Activation.Relu => FusedActivation.Relu, Activation.LeakyRelu => FusedActivation.LeakyRelu, _ => FusedActivation.None };
        Kernels.BiasActivate(expected, b, kind, 0.01f);
        var y = new float[stride];
        Kernels.RowTimesPaddedMatrix(x, pw, b, y, stride, kind, 0.01f);
        for (int j = 0; j < outputs; j++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[j]), BitConverter.SingleToInt32Bits(y[j]));
        // And close to the plain row product (which adds in a different order).
        var plain = new float[outputs];
        PlainRowProduct(x, w, b, plain);
        if (fused != Activation.Identity) ActivationLayers.Create(fused, outputs, 0.01f).ScoreInPlace(plain);
        for (int j = 0; j < outputs; j++) Assert.Equal(plain[j], y[j], 1e-4f);
    }

    /// <summary>The textbook y = b + Σᵢ xᵢ·W[i, :] (row by row of W), as a reference in another summation order.</summary>
    private static void PlainRowProduct(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y)
    {
        int outputs = y.Length;
        bias[..outputs].CopyTo(y);
        for (int i = 0; i < x.Length; i++)
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(weight.Slice(i * outputs, outputs), x[i], y, y);
    }

    public static TheoryData<Activation, bool, int, int[], int> BatchCases()
    {
        var data = new TheoryData<Activation, bool, int, int[], int>();
        int[][] shapes = [[1], [5], [17], [33, 129], [64, 31, 7]];
        int[] inputs = [1, 7, 16, 33, 300];
        int[] outputs = [1, 3, 10, 26, 40];
        int n = 0;
        foreach (Activation a in Enum.GetValues<Activation>())
            foreach (bool bn in new[] { false, true })
            {
                data.Add(a, bn, inputs[n % inputs.Length], shapes[n % shapes.Length], outputs[(n / 2) % outputs.Length]);
                n++;
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchCases))]
    public void BatchForwardMatchesRowForwardBitForBit(Activation activation, bool batchNorm, int inputs, int[] hidden, int outputs)
    {
        var spec = new NetworkSpec { InputSize = inputs, HiddenLayers = hidden, OutputSize = outputs, Activation = activation, BatchNorm = batchNorm,
            Loss = outputs == 1 ? LossKind.SigmoidCrossEntropy : LossKind.SoftmaxCrossEntropy };
        var inference = new InferenceNetwork(Trained(spec));
        var rng = new Random(inputs * 7 + outputs);
        const int rows = 203; // several 6-row micro-tiles and an edge tile
        var x = new Matrix(rows, inputs);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < inputs; j++)
                x[r, j] = rng.Next(6) switch
                {
                    0 => 0f,
                    1 => -0f,
                    2 => (float)(rng.NextDouble() * 2e-3 - 1e-3),
                    _ => (float)(rng.NextDouble() * 8 - 4),
                };
        var scratch = inference.CreateScratch();
        foreach (int cap in new[] { rows, 64 })
        {
            var batch = inference.CreateBatchScratch(cap);
            var yb = new Matrix(cap, outputs);
            var yr = new float[outputs];
            for (int start = 0; start < rows; start += cap)
            {
                int m = Math.Min(cap, rows - start);
                var xb = new Matrix(m, inputs, x.Data.AsSpan(start * inputs, m * inputs).ToArray());
                inference.PredictBatch(xb, m, yb, batch);
                for (int r = 0; r < m; r++)
                {
                    inference.Predict(x.Row(start + r), yr, scratch);
                    for (int k = 0; k < outputs; k++)
                        Assert.True(BitConverter.SingleToInt32Bits(yr[k]) == BitConverter.SingleToInt32Bits(yb[r, k]),
                            $"row {start + r}, output {k}: per-row {yr[k]:R} vs batch {yb[r, k]:R}");
                }
            }
        }
    }

    [Fact]
    public void BatchForwardPropagatesNonFiniteInputsLikeRowForward()
    {
        var spec = new NetworkSpec { InputSize = 5, HiddenLayers = [9], OutputSize = 3, Activation = Activation.Relu };
        var inference = new InferenceNetwork(Trained(spec));
        float[][] rowsIn = [[float.NaN, 1, 2, 3, 4], [float.PositiveInfinity, 0, 0, 0, 0], [float.NegativeInfinity, -0f, 0, 1, 1], [1e38f, 1e38f, -1e38f, 0, 0]];
        var x = new Matrix(rowsIn.Length, 5, rowsIn.SelectMany(r => r).ToArray());
        var yb = new Matrix(rowsIn.Length, 3);
        inference.ForwardBatch(x, rowsIn.Length, yb, inference.CreateBatchScratch(rowsIn.Length));
        var yr = new float[3];
        var scratch = inference.CreateScratch();
        for (int r = 0; r < rowsIn.Length; r++)
        {
            inference.Forward(rowsIn[r], yr, scratch);
            for (int k = 0; k < 3; k++) Assert.Equal(BitConverter.SingleToInt32Bits(yr[k]), BitConverter.SingleToInt32Bits(yb[r, k]));
        }
    }
}
