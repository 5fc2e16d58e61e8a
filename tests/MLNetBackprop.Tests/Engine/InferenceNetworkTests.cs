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
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < 5; r++) inference.Predict(x.Row(r), output, scratch);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(16, 64, Activation.Identity)]
    [InlineData(784, 256, Activation.Relu)]
    [InlineData(33, 200, Activation.LeakyRelu)]
    [InlineData(3, 26, Activation.Relu)]
    public void PaddedProductMatchesRowProductBitForBit(int inputs, int outputs, Activation fused)
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
        for (int i = 0; i < inputs; i++) x[i] = rng.Next(5) == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1);

        var expected = new float[outputs];
        Kernels.RowTimesMatrix(x, w, b, expected);
        if (fused == Activation.Relu) Kernels.ReluForward(expected, expected);
        if (fused == Activation.LeakyRelu) Kernels.LeakyReluForward(expected, 0.01f, expected);
        var y = new float[stride];
        Kernels.RowTimesPaddedMatrix(x, pw, b, y, stride, fused, 0.01f);
        for (int j = 0; j < outputs; j++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[j]), BitConverter.SingleToInt32Bits(y[j]));
    }
}
