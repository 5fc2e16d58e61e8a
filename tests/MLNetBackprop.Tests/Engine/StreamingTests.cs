using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

public class StreamingTests
{
    /// <summary>A <see cref="Dataset"/> readable only front to back, as a stream.</summary>
    private sealed class SequentialDataset(Dataset data) : ISequentialRows
    {
        public int Opened;
        public long Rows => data.Rows;
        public int FeatureCount => data.FeatureCount;
        public int TargetWidth => data.TargetWidth;
        public bool HasWeights => data.HasWeights;
        public IRowReader Open() { Opened++; return new Reader(data); }

        private sealed class Reader(Dataset data) : IRowReader
        {
            private int _row = -1;
            public bool MoveNext() => ++_row < data.Rows;
            public void Read(Span<float> features, Span<float> targets, out float weight)
            {
                data.Features.Row(_row).CopyTo(features);
                data.Targets.AsSpan(_row * data.TargetWidth, data.TargetWidth).CopyTo(targets);
                weight = data.Weights?[_row] ?? 1f;
            }
            public void Dispose() { }
        }
    }

    private static Dataset MakeData(int rows, int features, bool weights, long seed = 3)
    {
        var r = new CounterRandom(seed);
        var x = new Matrix(rows, features);
        var y = new float[rows];
        var w = weights ? new float[rows] : null;
        for (int i = 0; i < rows; i++)
        {
            var row = x.Row(i);
            for (int j = 0; j < features; j++) row[j] = (float)r.NextGaussian();
            y[i] = row[0] * row[1] + MathF.Sin(2 * row[2]) > 0 ? 1 : 0;
            if (w is not null) w[i] = 0.5f + r.NextSingle();
        }
        return new Dataset(x, y, 1, w);
    }

    [Theory]
    [InlineData(1000, 64)]
    [InlineData(1001, 64)]
    [InlineData(10, 3)]
    [InlineData(5, 8)]
    public void BlockShuffleIsAPermutationOfWholeBlocks(int rows, int block)
    {
        var order = new int[rows];
        BlockShuffle.Fill(new RowOrder(11, 2, true, block), order);
        Assert.Equal(Enumerable.Range(0, rows), order.Order());
        // Consecutive runs are whole blocks, each a permutation of its storage range.
        int at = 0;
        while (at < rows)
        {
            int b = order[at] / block, n = BlockShuffle.RowsInBlock(rows, block, b);
            Assert.Equal(Enumerable.Range(b * block, n), order.Skip(at).Take(n).Order());
            at += n;
        }
        var other = new int[rows];
        BlockShuffle.Fill(new RowOrder(11, 3, true, block), other);
        if (rows > 8) Assert.NotEqual(order, other);
    }

    [Theory]
    [InlineData(1000, 64, 200, 32, true)]   // 4 passes per epoch, batches straddle blocks and windows
    [InlineData(1001, 64, 64, 50, false)]   // one block per window, a short last block
    [InlineData(300, 7, 5000, 17, true)]    // everything in one window
    [InlineData(300, 500, 100, 17, true)]   // a block bigger than the window: one block held
    public void StreamedBatchesAreTheInMemoryBatches(int rows, int block, int window, int batchSize, bool weights)
    {
        var data = MakeData(rows, 5, weights);
        var source = new SequentialDataset(data);
        var streamed = new StreamedRows(source, window, block);
        foreach (var order in new[] { new RowOrder(5, 0, true, block), new RowOrder(5, 1, true, null), RowOrder.Storage })
        {
            var expected = data.Batches(order with { BlockRows = order.BlockRows ?? (order.Shuffle ? block : null) }, batchSize)
                .Select(b => (b.Features.ToArray(), b.TargetSpan.ToArray(), b.WeightSpan.ToArray())).ToList();
            var actual = streamed.Batches(order, batchSize)
                .Select(b => (b.Features.ToArray(), b.TargetSpan.ToArray(), b.WeightSpan.ToArray())).ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Item1, actual[i].Item1);
                Assert.Equal(expected[i].Item2, actual[i].Item2);
                Assert.Equal(expected[i].Item3, actual[i].Item3);
            }
        }
        Assert.Equal(streamed.PassesPerEpoch() * 2 + 1, source.Opened);
    }

    [Fact]
    public void StreamedTrainingIsBitIdenticalToInMemoryWithTheSameBlockShuffle()
    {
        var all = MakeData(5000, 20, weights: true);
        var train = all.Subset(Enumerable.Range(0, 4000).ToArray());
        var validation = all.Subset(Enumerable.Range(4000, 1000).ToArray());
        var spec = new NetworkSpec { InputSize = 20, HiddenLayers = [32, 16], Dropout = 0.1f, BatchNorm = true, OutputSize = 1, Loss = LossKind.SigmoidCrossEntropy };
        var settings = new TrainingSettings
        {
            Epochs = 3, BatchSize = 50, Seed = 9, ShuffleBlockRows = 128, Optimizer = Optimizer.Adam(3e-3f),
            EarlyStopping = new EarlyStopping { Monitor = ValidationMonitor.Auc },
        };

        var inMemory = new Network(spec, 1);
        var h1 = new NetworkTrainer(inMemory, settings).Train(train, validation);

        var source = new SequentialDataset(train);
        var streamed = new Network(spec, 1);
        var rows = new StreamedRows(source, windowRows: 1000, blockRows: 999); // the settings' 128 wins
        var h2 = new NetworkTrainer(streamed, settings).Train(rows, new StreamedRows(new SequentialDataset(validation), 10, 10));

        Assert.Equal(5, rows.PassesPerEpoch(128)); // 32 blocks, 7 per window
        Assert.Equal(3 * 5, source.Opened);        // ⌈32 / 7⌉ = 5 passes per epoch
        Assert.Equal(h1.Epochs.Select(e => e.TrainLoss), h2.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(h1.Epochs.Select(e => e.ValidationMetric), h2.Epochs.Select(e => e.ValidationMetric));
        var a = inMemory.StateBuffers();
        var b = streamed.StateBuffers();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void FullShuffleIsUnchangedAndDiffersFromTheBlockShuffle()
    {
        var data = MakeData(600, 4, weights: false);
        var spec = new NetworkSpec { InputSize = 4, HiddenLayers = [8], OutputSize = 1, Loss = LossKind.SigmoidCrossEntropy };
        var full = new Network(spec, 2);
        var blocks = new Network(spec, 2);
        new NetworkTrainer(full, new TrainingSettings { Epochs = 2, Seed = 4 }).Train(data);
        new NetworkTrainer(blocks, new TrainingSettings { Epochs = 2, Seed = 4, ShuffleBlockRows = 50 }).Train(data);
        Assert.NotEqual(full.StateBuffers()[0], blocks.StateBuffers()[0]);

        // The full shuffle is the pre-existing order: CounterRandom(seed, Shuffle, epoch) over all rows.
        var order = new int[600];
        BlockShuffle.Fill(new RowOrder(4, 1, true, null), order);
        var expected = Enumerable.Range(0, 600).ToArray();
        new CounterRandom(4, (long)RandomPurpose.Shuffle, 1).Shuffle(expected);
        Assert.Equal(expected, order);
    }

    [Fact]
    public void ResumingAStreamedRunIsExact()
    {
        var data = MakeData(1500, 6, weights: false);
        var spec = new NetworkSpec { InputSize = 6, HiddenLayers = [12], OutputSize = 1, Loss = LossKind.SigmoidCrossEntropy };
        string path = Path.Combine(Path.GetTempPath(), $"stream-ckpt-{Guid.NewGuid():N}.bin");
        try
        {
            var baseline = new Network(spec, 3);
            new NetworkTrainer(baseline, new TrainingSettings { Epochs = 4, Seed = 2 }).Train(new StreamedRows(new SequentialDataset(data), 400, 32));

            var first = new Network(spec, 3);
            new NetworkTrainer(first, new TrainingSettings { Epochs = 2, Seed = 2, CheckpointPath = path }).Train(new StreamedRows(new SequentialDataset(data), 400, 32));
            var resumed = NetworkTrainer.Resume(new TrainingSettings { Epochs = 4, Seed = 2 }, path);
            resumed.Train(new StreamedRows(new SequentialDataset(data), 400, 32));

            var a = baseline.StateBuffers();
            var b = resumed.Network.StateBuffers();
            for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void EpochElapsedIsTheRunningTotalNotDoubleCounted()
    {
        var data = MakeData(2000, 6, weights: false);
        var spec = new NetworkSpec { InputSize = 6, HiddenLayers = [12], OutputSize = 1, Loss = LossKind.SigmoidCrossEntropy };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var history = new NetworkTrainer(new Network(spec, 1), new TrainingSettings { Epochs = 6, Seed = 1 }).Train(data);
        clock.Stop();
        Assert.True(history.Epochs[^1].Elapsed <= clock.Elapsed, $"last epoch at {history.Epochs[^1].Elapsed}, Train took {clock.Elapsed}");
        for (int i = 1; i < history.Epochs.Count; i++) Assert.True(history.Epochs[i].Elapsed >= history.Epochs[i - 1].Elapsed);
    }
}
