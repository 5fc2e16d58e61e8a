namespace MLNetBackprop.Engine;

/// <summary>
/// In-memory training data for the engine: a feature matrix (rows × features), targets laid out
/// as the loss expects (one class index per row, or rows × outputs values) and optional example weights.
/// It is the in-memory <see cref="ITrainingRows"/>: any <see cref="RowOrder"/>, including the full shuffle.
/// </summary>
public sealed class Dataset : ITrainingRows, IFingerprinted
{
    /// <summary>Wraps the given buffers (no copy).</summary>
    /// <param name="features">rows × features.</param>
    /// <param name="targets">rows × <paramref name="targetWidth"/> values.</param>
    /// <param name="targetWidth">Targets per row: 1 for class indices or a single output.</param>
    /// <param name="weights">Optional example weights, one per row.</param>
    public Dataset(Matrix features, float[] targets, int targetWidth = 1, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (targetWidth < 1) throw new ArgumentOutOfRangeException(nameof(targetWidth), targetWidth, "targetWidth must be ≥ 1.");
        if ((long)features.Rows * targetWidth > targets.Length)
            throw new ArgumentException($"{features.Rows} rows need {(long)features.Rows * targetWidth} targets; got {targets.Length}.", nameof(targets));
        if (weights is not null && weights.Length < features.Rows)
            throw new ArgumentException($"{features.Rows} rows need as many weights; got {weights.Length}.", nameof(weights));
        Features = features;
        Targets = targets;
        TargetWidth = targetWidth;
        Weights = weights;
    }

    /// <summary>rows × features.</summary>
    public Matrix Features { get; }

    /// <summary>Targets, <see cref="TargetWidth"/> per row.</summary>
    public float[] Targets { get; }

    /// <summary>Targets per row.</summary>
    public int TargetWidth { get; }

    /// <summary>Example weights, or null for all 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Number of rows.</summary>
    public int Rows => Features.Rows;

    long ITrainingRows.Rows => Rows;

    /// <inheritdoc/>
    public int FeatureCount => Features.Columns;

    /// <inheritdoc/>
    public bool HasWeights => Weights is not null;

    /// <inheritdoc/>
    public IEnumerable<MiniBatch> Batches(RowOrder order, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var rows = new int[Rows];
        BlockShuffle.Fill(order, rows);
        return Gather(rows, Math.Max(1, Math.Min(batchSize, Rows)));
    }

    /// <summary>
    /// The rows <paramref name="rows"/> of this dataset as training rows, without copying them: row i of the view is
    /// row rows[i] here (an ensemble member's training or validation fold over one shared, normalised matrix).
    /// </summary>
    /// <param name="rows">Row indices into this dataset, each in [0, Rows).</param>
    public ITrainingRows View(int[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (int r in rows)
            if ((uint)r >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row {r} is outside the dataset's {Rows} rows.");
        return new RowView(this, rows);
    }

    /// <inheritdoc />
    ulong IFingerprinted.Fingerprint()
    {
        var hash = new Fnv64();
        hash.Add(Features.Span);
        hash.Add(Targets.AsSpan(0, Rows * TargetWidth));
        if (Weights is not null) hash.Add(Weights.AsSpan(0, Rows));
        return hash.Value;
    }

    private sealed class RowView(Dataset data, int[] rows) : ITrainingRows, IFingerprinted
    {
        public ulong Fingerprint()
        {
            var hash = new Fnv64();
            int tw = data.TargetWidth;
            foreach (int r in rows)
            {
                hash.Add(data.Features.Row(r));
                hash.Add(data.Targets.AsSpan(r * tw, tw));
                if (data.Weights is not null) hash.Add(data.Weights.AsSpan(r, 1));
            }
            return hash.Value;
        }

        public long Rows => rows.Length;

        public int FeatureCount => data.FeatureCount;

        public int TargetWidth => data.TargetWidth;

        public bool HasWeights => data.HasWeights;

        public IEnumerable<MiniBatch> Batches(RowOrder order, int batchSize)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
            var positions = new int[rows.Length];
            BlockShuffle.Fill(order, positions);
            for (int i = 0; i < positions.Length; i++) positions[i] = rows[positions[i]];
            return data.Gather(positions, Math.Max(1, Math.Min(batchSize, rows.Length)));
        }
    }

    private IEnumerable<MiniBatch> Gather(int[] order, int batchSize)
    {
        int tw = TargetWidth;
        var batch = new MiniBatch(batchSize, FeatureCount, tw, HasWeights);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, order.Length - start);
            batch.SetRows(count);
            var rows = new ArraySegment<int>(order, start, count);
            GatherKernels.GatherRows(Features.Data, FeatureCount, rows, batch.Features.Data);
            GatherKernels.GatherRows(Targets, tw, rows, batch.Targets);
            if (Weights is not null)
                for (int i = 0; i < count; i++) batch.Weights![i] = Weights[order[start + i]];
            yield return batch;
        }
    }

    /// <summary>Copies the rows listed in <paramref name="rows"/> into a new dataset.</summary>
    /// <param name="rows">Row indices.</param>
    public Dataset Subset(ReadOnlySpan<int> rows)
    {
        var f = new Matrix(rows.Length, Features.Columns);
        var t = new float[rows.Length * TargetWidth];
        var w = Weights is null ? null : new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            Features.Row(r).CopyTo(f.Row(i));
            Targets.AsSpan(r * TargetWidth, TargetWidth).CopyTo(t.AsSpan(i * TargetWidth));
            if (w is not null) w[i] = Weights![r];
        }
        return new Dataset(f, t, TargetWidth, w);
    }
}
