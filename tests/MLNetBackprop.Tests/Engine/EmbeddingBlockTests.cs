using Xunit.Abstractions;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// The periodic embedding's 16-row blocks (rows across the vector lanes) give bit for bit what the row path gives:
/// outputs, cos u and sin u, including rows whose frequencies take the exact <c>MathF.SinCos</c> fallback.
/// </summary>
public class EmbeddingBlockTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(16, 3, false)]
    [InlineData(16, 3, true)]   // some rows far beyond the polynomial's range
    [InlineData(32, 5, true)]   // two chunks of frequencies, more outputs than one Sum4 group
    [InlineData(16, 1, false)]
    public void BlocksEqualTheRowPath(int p, int q, bool hugeRows)
    {
        if (!Kernels.CanEmbedBlocks(p, q))
        {
            // Without 512-bit vectors (DOTNET_EnableAVX512=0) the layer never takes blocks; nothing to compare.
            output.WriteLine("No 512-bit vectors here: the layer embeds row by row only.");
            return;
        }
        var rng = new Random(p * 100 + q);
        const int rows = 32, inputs = 9;
        int[] embedded = [0, 2, 3, 7];
        int m = embedded.Length, block = m * p;
        int outputWidth = inputs + m * q + 4;
        int[] start = Enumerable.Range(0, m).Select(e => 2 + e * (q + 1)).ToArray();
        float[] R(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
        var x = R(rows * inputs, 3);
        if (hugeRows)
            foreach (int r in new[] { 1, 17, 30 }) x[r * inputs + 2] = 5e4f * (r % 2 == 0 ? 1 : -1);
        var w = R(m * p, 1.5);
        var b = R(m * p, 3);
        var v = R(m * q * p, 0.5);
        var a = R(m * q, 0.5);

        var yRow = new float[rows * outputWidth];
        var cRow = new float[rows * block];
        var sRow = new float[rows * block];
        for (int r = 0; r < rows; r++)
            Kernels.PeriodicEmbedRow(x.AsSpan(r * inputs, inputs), embedded, start, w, b, v, a, p, q,
                yRow.AsSpan(r * outputWidth, outputWidth), cRow.AsSpan(r * block, block), sRow.AsSpan(r * block, block));

        var yBlock = new float[rows * outputWidth];
        var cBlock = new float[rows * block];
        var sBlock = new float[rows * block];
        for (int r0 = 0; r0 < rows; r0 += Kernels.EmbedBlockRows)
            Kernels.PeriodicEmbedBlock16(x, inputs, r0, embedded, start, w, b, v, a, p, q, yBlock, outputWidth, cBlock, sBlock);

        Assert.Equal(cRow, cBlock);
        Assert.Equal(sRow, sBlock);
        Assert.Equal(yRow, yBlock);
        // The fallback really ran: some row's u is beyond the polynomial's range (and others are not).
        int beyond = 0;
        for (int r = 0; r < rows; r++)
            for (int e = 0; e < m; e++)
                for (int f = 0; f < p; f++)
                    if (MathF.Abs(MathF.FusedMultiplyAdd(w[e * p + f], (float)(2 * Math.PI) * x[r * inputs + embedded[e]], b[e * p + f])) > Kernels.TrigFastLimit) beyond++;
        if (hugeRows) Assert.InRange(beyond, 1, rows * block - 1);
        else Assert.Equal(0, beyond);
    }

    [Fact]
    public void TheLayerGivesTheSameOutputsWithAndWithoutBlocks()
    {
        // 37 rows: two blocks of 16 and five rows on the row path; scored one row at a time (the inference path) vs a batch.
        var layer = new PeriodicEmbeddingLayer(6, [1, 4], 16, 3, "e");
        var rng = new CounterRandom(3, 1);
        layer.Initialize(ref rng);
        var r = new Random(2);
        var x = new Matrix(37, 6);
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = (float)(r.NextDouble() * 4 - 2);
        var batch = layer.Forward(x, training: true);
        var batchOut = batch.Data[..(37 * layer.OutputSize)];
        var one = new Matrix(1, 6);
        for (int row = 0; row < 37; row++)
        {
            x.Row(row).CopyTo(one.Row(0));
            var y = layer.Forward(one, training: true);
            Assert.True(y.Row(0).SequenceEqual(batchOut.AsSpan(row * layer.OutputSize, layer.OutputSize)), $"row {row}");
        }
    }
}
