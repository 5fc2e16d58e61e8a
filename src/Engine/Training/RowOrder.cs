namespace MLNetBackprop.Engine;

/// <summary>
/// The order of an epoch's rows. <see cref="Shuffle"/> false: storage order. <see cref="BlockRows"/>
/// null: a full shuffle, <c>CounterRandom(seed, Shuffle, epoch)</c> over all rows (in-memory data only).
/// <see cref="BlockRows"/> = B: a block shuffle — the rows are cut into blocks of B rows in storage order,
/// the blocks are visited in the order <c>CounterRandom(seed, Shuffle, epoch)</c> draws, and the rows of
/// block k in the order <c>CounterRandom(seed, Shuffle, epoch, k)</c> draws (see <see cref="BlockShuffle"/>).
/// Every source gives the same rows for the same order, so the streamed and in-memory paths train
/// bit-identically under the same block shuffle.
/// </summary>
/// <param name="Seed">Seed of the shuffle.</param>
/// <param name="Epoch">Epoch (0-based): each epoch has its own order.</param>
/// <param name="Shuffle">False for storage order.</param>
/// <param name="BlockRows">Rows per shuffle block, or null for a full shuffle.</param>
public readonly record struct RowOrder(long Seed, int Epoch, bool Shuffle, int? BlockRows)
{
    /// <summary>Storage order (used for evaluation).</summary>
    public static RowOrder Storage => new(0, 0, false, null);
}
