using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The mini-batch gather: every batch row is the source row the order names, whatever the thread count.</summary>
[Collection(KernelThreadsCollection.Name)]
public class GatherKernelTests
{
    [Theory]
    [InlineData(1, 5, 3)]        // tiny: always on the calling thread
    [InlineData(784, 128, 2)]    // large enough to be split over the pool
    [InlineData(1000, 97, 4)]    // an odd row count over more threads than there are cores
    public void BatchRowsAreTheOrderedSourceRows(int width, int batch, int threads)
    {
        var rng = new Random(11);
        const int sourceRows = 500;
        var source = new float[sourceRows * width];
        for (int i = 0; i < source.Length; i++) source[i] = (float)rng.NextDouble();
        var order = Enumerable.Range(0, sourceRows).OrderBy(_ => rng.Next()).ToArray();
        var destination = new float[batch * width + 3];
        destination.AsSpan().Fill(float.NaN);
        using (KernelThreads.Set(threads))
            GatherKernels.GatherRows(source, width, new ArraySegment<int>(order, 40, batch), destination);
        for (int i = 0; i < batch; i++)
            Assert.True(source.AsSpan(order[40 + i] * width, width).SequenceEqual(destination.AsSpan(i * width, width)), $"batch row {i}");
        Assert.All(destination[(batch * width)..], v => Assert.True(float.IsNaN(v), "wrote past the batch"));
    }

    [Fact]
    public void DatasetBatchesAreTheSameForAnyThreadCount()
    {
        // Features wide enough for the parallel path, two targets per row and example weights.
        var rng = new Random(5);
        const int rows = 700, width = 600;
        var x = new float[rows * width];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var t = Enumerable.Range(0, rows * 2).Select(i => (float)i).ToArray();
        var w = Enumerable.Range(0, rows).Select(i => 1f + i).ToArray();
        var data = new Dataset(new Matrix(rows, width, x), t, 2, w);
        List<(float[] X, float[] T, float[] W)> Collect(int threads)
        {
            using var _ = KernelThreads.Set(threads);
            return data.Batches(new RowOrder(3, 1, true, null), 128)
                .Select(b => (b.Features.Data[..(b.Rows * width)], b.Targets[..(b.Rows * 2)], b.Weights![..b.Rows])).ToList();
        }
        var one = Collect(1);
        var two = Collect(2);
        Assert.Equal(one.Count, two.Count);
        for (int b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].X, two[b].X);
            Assert.Equal(one[b].T, two[b].T);
            Assert.Equal(one[b].W, two[b].W);
            // Row i's targets and weight belong to the same source row as its features.
            for (int i = 0; i < one[b].W.Length; i++)
            {
                int source = (int)one[b].W[i] - 1;
                Assert.Equal(2f * source, one[b].T[2 * i]);
                Assert.True(x.AsSpan(source * width, width).SequenceEqual(one[b].X.AsSpan(i * width, width)));
            }
        }
    }
}
