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
