namespace MLNetBackprop.Engine;

/// <summary>
/// Rows the trainer reads mini-batch by mini-batch: the in-memory <see cref="Dataset"/>, or
/// <see cref="StreamedRows"/>, which holds only a bounded window of the data and reads the rest from
/// an <see cref="ISequentialRows"/> (an ML.NET <c>IDataView</c>, a file…) as the epoch goes.
/// </summary>
public interface ITrainingRows
{
    /// <summary>Number of rows.</summary>
    long Rows { get; }

    /// <summary>Features per row.</summary>
    int FeatureCount { get; }

    /// <summary>Targets per row: 1 for class indices or a single output.</summary>
    int TargetWidth { get; }

    /// <summary>Whether the rows carry example weights (otherwise every row weighs 1).</summary>
    bool HasWeights { get; }

    /// <summary>
    /// The rows in the order <paramref name="order"/> gives, cut into mini-batches of
    /// <paramref name="batchSize"/> rows (the last may be smaller). The same <see cref="MiniBatch"/>
    /// object is refilled for the next batch: use it before moving on.
    /// </summary>
    /// <param name="order">Storage order, a full shuffle or a block shuffle (see <see cref="RowOrder"/>).</param>
    /// <param name="batchSize">Rows per mini-batch, ≥ 1.</param>
    IEnumerable<MiniBatch> Batches(RowOrder order, int batchSize);
}

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

/// <summary>One mini-batch: features, targets and optional weights of <see cref="Rows"/> rows.</summary>
public sealed class MiniBatch
{
    /// <summary>A batch able to hold <paramref name="capacity"/> rows.</summary>
    /// <param name="capacity">Most rows it will hold.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="targetWidth">Targets per row.</param>
    /// <param name="weights">Whether to hold example weights.</param>
    public MiniBatch(int capacity, int features, int targetWidth, bool weights)
    {
        Features = new Matrix(capacity, features);
        Targets = new float[capacity * targetWidth];
        Weights = weights ? new float[capacity] : null;
        TargetWidth = targetWidth;
        Capacity = capacity;
    }

    /// <summary>Rows × features; <see cref="Matrix.Rows"/> equals <see cref="Rows"/>.</summary>
    public Matrix Features { get; }

    /// <summary>Targets, <see cref="TargetWidth"/> per row; the first <see cref="Rows"/> × <see cref="TargetWidth"/> are live.</summary>
    public float[] Targets { get; }

    /// <summary>Example weights (the first <see cref="Rows"/> are live), or null for all 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Targets per row.</summary>
    public int TargetWidth { get; }

    /// <summary>Most rows the batch holds.</summary>
    public int Capacity { get; }

    /// <summary>Live rows.</summary>
    public int Rows { get; private set; }

    /// <summary>The live targets.</summary>
    public ReadOnlySpan<float> TargetSpan => Targets.AsSpan(0, Rows * TargetWidth);

    /// <summary>The live weights, or empty when there are none.</summary>
    public ReadOnlySpan<float> WeightSpan => Weights is null ? default : Weights.AsSpan(0, Rows);

    /// <summary>Sets the number of live rows (≤ <see cref="Capacity"/>).</summary>
    /// <param name="rows">Live rows.</param>
    public void SetRows(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Capacity);
        Features.SetRows(rows);
        Rows = rows;
    }
}
