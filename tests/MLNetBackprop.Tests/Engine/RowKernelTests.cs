using System.Numerics.Tensors;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The whole-batch per-column kernels and the split norm equal the arithmetic they replaced, bit for bit.</summary>
[Collection(KernelThreadsCollection.Name)]
public class RowKernelTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(200_704)] // 784×256: split over the pool
    [InlineData(65_537)]  // a partial last chunk
    public void SplitNormEqualsTheSequentialNormForAnyThreadCount(int length)
    {
        var rng = new Random(length);
        var values = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 1e-3f).ToArray();
        double sequential = Kernels.Norm(values.AsSpan());
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var _ = KernelThreads.Set(threads);
            Assert.Equal(BitConverter.DoubleToInt64Bits(sequential), BitConverter.DoubleToInt64Bits(Kernels.Norm(values)));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(256, 76)]   // the tabular recipe's feature-scale layer: 4 vectors and a tail per row
    [InlineData(7, 16)]
    [InlineData(33, 5)]
    public void MultiplyRowsAndMultiplyAddRowsMatchRowByRow(int rows, int width)
    {
        var rng = new Random(rows * 31 + width);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var x = Random(rows * width);
        var y = Random(rows * width);
        var s = Random(width);

        var z = new float[rows * width];
        Kernels.MultiplyRows(x, s, z, rows);
        var acc = Random(width);
        var expectedAcc = (float[])acc.Clone();
        Kernels.MultiplyAddRows(x, y, acc, rows);
        for (int r = 0; r < rows; r++)
        {
            var expected = new float[width];
            TensorPrimitives.Multiply(x.AsSpan(r * width, width), s, expected);
            Assert.Equal(expected, z[(r * width)..((r + 1) * width)]);
            for (int j = 0; j < width; j++) expectedAcc[j] = MathF.FusedMultiplyAdd(x[r * width + j], y[r * width + j], expectedAcc[j]);
        }
        Assert.Equal(expectedAcc, acc);
    }

    [Fact]
    public void TooSmallBuffersAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Kernels.MultiplyRows(new float[5], new float[3], new float[6], 2));
        Assert.Throws<ArgumentException>(() => Kernels.MultiplyAddRows(new float[6], new float[5], new float[3], 2));
    }
}
