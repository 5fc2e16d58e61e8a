namespace MLNetBackprop.Engine;

/// <summary>
/// The block shuffle of <see cref="RowOrder"/>: the visiting order of the blocks and the order of the rows
/// within a block, each a pure function of (seed, epoch[, block]) so that any source — in memory or
/// streamed — and a resumed run reproduce it exactly.
/// </summary>
internal static class BlockShuffle
{
    /// <summary>Number of blocks of <paramref name="blockRows"/> rows covering <paramref name="rows"/> rows (the last may be short).</summary>
    /// <param name="rows">Rows.</param>
    /// <param name="blockRows">Rows per block, ≥ 1.</param>
    public static int BlockCount(long rows, int blockRows) => checked((int)((rows + blockRows - 1) / blockRows));

    /// <summary>The order in which an epoch visits the blocks: <c>CounterRandom(seed, Shuffle, epoch)</c>.</summary>
    /// <param name="order">The epoch's order (its <see cref="RowOrder.BlockRows"/> must be set).</param>
    /// <param name="rows">Rows in the data.</param>
    public static int[] BlockOrder(RowOrder order, long rows)
    {
        var blocks = new int[BlockCount(rows, order.BlockRows!.Value)];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = i;
        if (order.Shuffle) new CounterRandom(order.Seed, (long)RandomPurpose.Shuffle, order.Epoch).Shuffle(blocks);
        return blocks;
    }

    /// <summary>Fills <paramref name="positions"/> (one per row of block <paramref name="block"/>) with the row offsets 0…n−1 within the block in visiting order: <c>CounterRandom(seed, Shuffle, epoch, block)</c>.</summary>
    /// <param name="order">The epoch's order.</param>
    /// <param name="block">Block index (storage order).</param>
    /// <param name="positions">One slot per row of the block.</param>
    public static void RowsWithinBlock(RowOrder order, int block, Span<int> positions)
    {
        for (int i = 0; i < positions.Length; i++) positions[i] = i;
        if (order.Shuffle) new CounterRandom(order.Seed, (long)RandomPurpose.Shuffle, order.Epoch, block).Shuffle(positions);
    }

    /// <summary>Rows in block <paramref name="block"/>.</summary>
    /// <param name="rows">Rows in the data.</param>
    /// <param name="blockRows">Rows per block.</param>
    /// <param name="block">Block index.</param>
    public static int RowsInBlock(long rows, int blockRows, int block) => (int)Math.Min(blockRows, rows - (long)block * blockRows);

    /// <summary>
    /// The epoch's whole row order, for in-memory data: storage order, a full shuffle, or the block shuffle
    /// (blocks in <see cref="BlockOrder"/>, rows within each block by <see cref="RowsWithinBlock"/>).
    /// </summary>
    /// <param name="order">The epoch's order.</param>
    /// <param name="rows">Receives the row indices; its length is the number of rows.</param>
    public static void Fill(RowOrder order, Span<int> rows)
    {
        if (order.BlockRows is not { } b || !order.Shuffle)
        {
            for (int i = 0; i < rows.Length; i++) rows[i] = i;
            if (order.Shuffle) new CounterRandom(order.Seed, (long)RandomPurpose.Shuffle, order.Epoch).Shuffle(rows);
            return;
        }
        int at = 0;
        foreach (int block in BlockOrder(order, rows.Length))
        {
            var part = rows.Slice(at, RowsInBlock(rows.Length, b, block));
            RowsWithinBlock(order, block, part);
            int start = block * b;
            for (int i = 0; i < part.Length; i++) part[i] += start;
            at += part.Length;
        }
    }
}
