namespace MLNetBackprop.Engine;

/// <summary>
/// Rows that can only be read front to back, any number of times: an ML.NET <c>IDataView</c>, a file.
/// <see cref="StreamedRows"/> turns them into shuffled mini-batches with bounded memory.
/// </summary>
internal interface ISequentialRows
{
    /// <summary>Number of rows a full pass yields.</summary>
    long Rows { get; }

    /// <summary>Features per row.</summary>
    int FeatureCount { get; }

    /// <summary>Targets per row.</summary>
    int TargetWidth { get; }

    /// <summary>Whether rows carry example weights.</summary>
    bool HasWeights { get; }

    /// <summary>Starts a pass over the rows in storage order.</summary>
    IRowReader Open();
}

/// <summary>A pass over an <see cref="ISequentialRows"/>.</summary>
internal interface IRowReader : IDisposable
{
    /// <summary>Moves to the next row; false after the last. Reading the row is optional (a row not wanted this pass is only stepped over).</summary>
    bool MoveNext();

    /// <summary>Reads the current row.</summary>
    /// <param name="features">Receives <see cref="ISequentialRows.FeatureCount"/> values.</param>
    /// <param name="targets">Receives <see cref="ISequentialRows.TargetWidth"/> values.</param>
    /// <param name="weight">The example weight (1 when there are none).</param>
    void Read(Span<float> features, Span<float> targets, out float weight);
}

/// <summary>
/// Training rows streamed from an <see cref="ISequentialRows"/> through a window of at most
/// <see cref="WindowRows"/> rows, so data larger than memory can be trained on.
/// <para>
/// Order: the block shuffle of <see cref="RowOrder"/> (a full shuffle is impossible without holding every
/// row; a <see cref="RowOrder.BlockRows"/> of null means <see cref="BlockRows"/>). An epoch visits its
/// blocks in a random order; the window holds the next W = ⌊<see cref="WindowRows"/> / B⌋ blocks of that
/// order, filled by one front-to-back pass that reads only the rows of those blocks (and stops after the
/// last of them), then hands out their rows, each block shuffled within. So an epoch costs
/// ⌈blocks / W⌉ passes over the source — about data size / window size: the price of an exact, uniformly
/// random block order with memory bounded by the window. A bigger window means fewer passes; a bigger
/// block means a coarser shuffle. Storage order (no shuffle, evaluation) is a single pass.
/// </para>
/// <para>Given the same rows and <see cref="RowOrder"/>, the batches are exactly those of a <see cref="Dataset"/>, so training is bit-identical.</para>
/// </summary>
internal sealed class StreamedRows : ITrainingRows
{
    private readonly ISequentialRows _source;
    private float[] _features = [], _targets = [], _weights = [];

    /// <summary>Streams <paramref name="source"/> through a window of <paramref name="windowRows"/> rows.</summary>
    /// <param name="source">The rows.</param>
    /// <param name="windowRows">Most rows held in memory at once (at least one block is always held).</param>
    /// <param name="blockRows">Rows per shuffle block when the order does not name one.</param>
    public StreamedRows(ISequentialRows source, int windowRows, int blockRows)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        _source = source;
        WindowRows = windowRows;
        BlockRows = blockRows;
    }

    /// <summary>Most rows held in memory at once (rounded down to whole blocks, at least one block).</summary>
    public int WindowRows { get; }

    /// <summary>Rows per shuffle block when the <see cref="RowOrder"/> does not name one.</summary>
    public int BlockRows { get; }

    /// <inheritdoc/>
    public long Rows => _source.Rows;

    /// <inheritdoc/>
    public int FeatureCount => _source.FeatureCount;

    /// <inheritdoc/>
    public int TargetWidth => _source.TargetWidth;

    /// <inheritdoc/>
    public bool HasWeights => _source.HasWeights;

    /// <summary>Passes over the source a shuffled epoch with blocks of <paramref name="blockRows"/> rows takes (at most).</summary>
    /// <param name="blockRows">Rows per block (null: <see cref="BlockRows"/>).</param>
    public int PassesPerEpoch(int? blockRows = null)
    {
        int b = blockRows ?? BlockRows;
        int blocks = BlockShuffle.BlockCount(Rows, b), window = Math.Max(1, WindowRows / b);
        return (blocks + window - 1) / window;
    }

    /// <summary>Source passes started so far (for monitoring and tests).</summary>
    public int PassesStarted { get; private set; }

    /// <inheritdoc/>
    public IEnumerable<MiniBatch> Batches(RowOrder order, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!order.Shuffle) return Sequential(batchSize);
        return Shuffled(order with { BlockRows = order.BlockRows ?? BlockRows }, batchSize);
    }

    private IEnumerable<MiniBatch> Sequential(int batchSize)
    {
        int tw = TargetWidth;
        var batch = NewBatch(batchSize);
        PassesStarted++;
        using var reader = _source.Open();
        for (long r = 0; r < Rows; r++)
        {
            NextRow(reader, r);
            int i = batch.Rows;
            batch.SetRows(i + 1);
            reader.Read(batch.Features.Row(i), batch.Targets.AsSpan(i * tw, tw), out float w);
            if (batch.Weights is not null) batch.Weights[i] = w;
            if (batch.Rows == batchSize) { yield return batch; batch.SetRows(0); }
        }
        NoMoreRows(reader);
        if (batch.Rows > 0) yield return batch;
    }

    private IEnumerable<MiniBatch> Shuffled(RowOrder order, int batchSize)
    {
        int d = FeatureCount, tw = TargetWidth, b = order.BlockRows!.Value;
        long n = Rows;
        int[] blockOrder = BlockShuffle.BlockOrder(order, n);
        int window = Math.Max(1, WindowRows / b);
        int windowRows = checked(Math.Min(window, blockOrder.Length) * b);
        EnsureBuffers(windowRows);
        var slotOf = new int[blockOrder.Length];
        Array.Fill(slotOf, -1);
        var positions = new int[b];
        var batch = NewBatch(batchSize);

        for (int first = 0; first < blockOrder.Length; first += window)
        {
            // Fill the window with the next blocks of the visiting order: one pass, reading only their rows.
            int count = Math.Min(window, blockOrder.Length - first);
            ReadWindow(blockOrder.AsSpan(first, count), slotOf, b);

            // Hand out the window's blocks in visiting order, each shuffled within.
            for (int s = 0; s < count; s++)
            {
                int block = blockOrder[first + s], rows = BlockShuffle.RowsInBlock(n, b, block);
                BlockShuffle.RowsWithinBlock(order, block, positions.AsSpan(0, rows));
                for (int k = 0; k < rows; k++)
                {
                    int at = s * b + positions[k], i = batch.Rows;
                    batch.SetRows(i + 1);
                    _features.AsSpan(at * d, d).CopyTo(batch.Features.Row(i));
                    _targets.AsSpan(at * tw, tw).CopyTo(batch.Targets.AsSpan(i * tw, tw));
                    if (batch.Weights is not null) batch.Weights[i] = _weights[at];
                    if (batch.Rows == batchSize) { yield return batch; batch.SetRows(0); }
                }
            }
        }
        if (batch.Rows > 0) yield return batch;
    }

    /// <summary>One pass that copies the rows of <paramref name="group"/>'s blocks into window slots 0, 1, … and stops after the last of them.</summary>
    private void ReadWindow(ReadOnlySpan<int> group, int[] slotOf, int b)
    {
        int d = FeatureCount, tw = TargetWidth, lastBlock = 0;
        for (int s = 0; s < group.Length; s++) { slotOf[group[s]] = s; lastBlock = Math.Max(lastBlock, group[s]); }
        long end = Math.Min(Rows, (long)(lastBlock + 1) * b);
        PassesStarted++;
        using (var reader = _source.Open())
        {
            for (long r = 0; r < end; r++)
            {
                NextRow(reader, r);
                int block = (int)(r / b), slot = slotOf[block];
                if (slot < 0) continue;
                int at = slot * b + (int)(r - (long)block * b);
                reader.Read(_features.AsSpan(at * d, d), _targets.AsSpan(at * tw, tw), out _weights[at]);
            }
            // The pass holding the last block reads to the end once an epoch: rows that appeared since they were counted show here.
            if (end == Rows) NoMoreRows(reader);
        }
        foreach (int block in group) slotOf[block] = -1;
    }

    private MiniBatch NewBatch(int batchSize)
    {
        var batch = new MiniBatch((int)Math.Min(batchSize, Math.Max(1, Rows)), FeatureCount, TargetWidth, HasWeights);
        batch.SetRows(0);
        return batch;
    }

    private void NextRow(IRowReader reader, long row)
    {
        if (!reader.MoveNext())
            throw new InvalidOperationException($"The streamed data ended after {row} rows; it had {Rows} when counted. The source must yield the same rows on every pass.");
    }

    private void NoMoreRows(IRowReader reader)
    {
        if (reader.MoveNext())
            throw new InvalidOperationException($"The streamed data has more rows than the {Rows} it had when counted: rows appeared during training, which would be silently left out. The source must yield the same rows on every pass.");
    }

    private void EnsureBuffers(int rows)
    {
        if (_targets.Length >= rows * TargetWidth) return;
        _features = new float[checked(rows * FeatureCount)];
        _targets = new float[checked(rows * TargetWidth)];
        _weights = new float[rows];
    }
}
