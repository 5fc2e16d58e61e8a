using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// An <see cref="IDataView"/> as engine rows read front to back (<see cref="ISequentialRows"/>), for training
/// that streams instead of loading the data (<see cref="MlpOptionsBase.MemoryBudgetMegabytes"/>). Each pass
/// is a new cursor; a row is checked as <see cref="TrainingDataReader"/> checks it and transformed on the way
/// out: features standardised, regression labels scaled, class weights applied.
/// <para>
/// Validation split without loading: storage row <c>i</c> is a validation row when
/// <c>CounterRandom(seed, Split, i).NextDouble() &lt; fraction</c> — a seeded hash of the row index, so every
/// pass agrees without remembering anything; the split is not stratified and its size is only about
/// fraction × rows (the in-memory split is stratified and exact).
/// </para>
/// <para>
/// With <see cref="SkipRowsWithNonFiniteFeatures"/> a row whose features hold NaN or ±∞ is stepped over by
/// <see cref="IRowReader.MoveNext"/> itself, on every pass alike (the test depends only on the row's values), so
/// the rows a pass yields — and with them <see cref="StreamedRows"/>' block and batch positions — are the same on
/// every pass; <see cref="Scan"/> and <see cref="Count"/> record how many were skipped in <see cref="Skipped"/>.
/// </para>
/// </summary>
internal sealed class DataViewRows : ISequentialRows
{
    private readonly IDataView _data;
    private readonly TrainingDataReader.Columns _columns;
    private readonly TaskKind _task;
    private readonly HashSplit? _split;
    private readonly CancellationToken _cancellation;

    /// <param name="data">The view.</param>
    /// <param name="columns">Its checked columns.</param>
    /// <param name="task">How labels are read.</param>
    /// <param name="split">Null for every row, else the hash split and which part to keep.</param>
    /// <param name="cancellation">Checked every 1,024 rows.</param>
    public DataViewRows(IDataView data, TrainingDataReader.Columns columns, TaskKind task, HashSplit? split, CancellationToken cancellation)
    {
        _data = data;
        _columns = columns;
        _task = task;
        _split = split;
        _cancellation = cancellation;
    }

    /// <summary>Rows in this part; set by <see cref="Count"/> or <see cref="Scan"/>.</summary>
    public long Rows { get; private set; }

    public int FeatureCount => _columns.FeatureCount;

    public int TargetWidth => 1;

    public bool HasWeights => _columns.Weight is not null || ClassWeights is not null;

    /// <summary>Feature standardisation applied on read (null = none).</summary>
    public FeatureTransform? Transform { get; set; }

    /// <summary>Regression label scaling applied on read (null = none).</summary>
    public (float Mean, float Scale)? LabelScaling { get; set; }

    /// <summary>Per-class weights multiplied into the example weights on read (null = none).</summary>
    public float[]? ClassWeights { get; set; }

    /// <summary>
    /// Step over rows whose features hold NaN or ±∞ instead of failing on them (<see cref="MlpOptionsBase.SkipRowsWithNonFiniteFeatures"/>).
    /// Set before the first pass. A row whose vector has the wrong length is never skipped: reading it is an error.
    /// </summary>
    public bool SkipRowsWithNonFiniteFeatures { get; set; }

    /// <summary>Rows of this part stepped over for non-finite features; set by <see cref="Count"/> or <see cref="Scan"/>.</summary>
    public long Skipped { get; private set; }

    public IRowReader Open() => new Reader(this);


    /// <summary>Counts the rows of this part (a pass that reads no values).</summary>
    public long Count()
    {
        long n = 0;
        using (var reader = new Reader(this, readValues: false))
        {
            while (reader.MoveNext()) n++;
            Skipped = reader.Skipped;
        }
        return Rows = n;
    }

    /// <summary>What the first streaming passes learn about the training rows.</summary>
    public sealed record Statistics(long Rows, long[]? ClassCounts, FeatureTransform? Features, (float Mean, float Scale)? Label, int[]? NumericFeatures);

    /// <summary>
    /// Counts the rows and the classes, and fits the feature normalisation and label scaling when asked,
    /// in one pass (two when fitting: mean, then deviations — <see cref="Standardization.Moments"/> — or the robust
    /// scaling's sample of every k-th row — <see cref="RobustScaling"/> —, the in-memory arithmetic).
    /// Checks every value on the way.
    /// </summary>
    /// <param name="fitFeatures">The normalisation to fit (None: none).</param>
    /// <param name="fitLabel">Fit the label scaling.</param>
    /// <param name="classes">Classes to count (0: none).</param>
    /// <param name="findNumeric">Find the features with more than two distinct values (in the robust-scaling sample).</param>
    public Statistics Scan(FeatureNormalization fitFeatures, bool fitLabel, int classes, bool findNumeric = false)
    {
        int d = FeatureCount;
        var features = fitFeatures == FeatureNormalization.Standard ? new Standardization.Moments(d) : null;
        var label = fitLabel ? new Standardization.Moments(1) : null;
        var counts = classes > 0 ? new long[classes] : null;
        var x = new float[d];
        var y = new float[1];
        long n = 0;
        bool anyWeight = false;
        using (var reader = new Reader(this))
        {
            while (reader.MoveNext())
            {
                reader.Read(x, y, out float weight);
                anyWeight |= weight != 0;
                features?.AddToMean(x);
                label?.AddToMean(y);
                if (counts is not null) counts[(int)y[0]]++;
                n++;
            }
            Skipped = reader.Skipped;
        }
        if (n == 0)
            throw new InvalidOperationException(Skipped > 0
                ? $"The training data has no usable rows: all {Skipped} rows were skipped because feature column '{_columns.Features.Name}' holds NaN or infinite values (SkipRowsWithNonFiniteFeatures)."
                : $"The training data has no rows (feature column '{_columns.Features.Name}').");
        Rows = n;
        if (_columns.Weight is { } weights && !anyWeight)
            throw new InvalidOperationException($"Every example weight in column '{weights.Name}' of the training data is 0: there is nothing to train on (weights must be ≥ 0 and not all 0).");
        long stride = RobustScaling.Stride(n, d);
        var sample = fitFeatures == FeatureNormalization.Robust || findNumeric ? new RobustScaling.Sample(d, RobustScaling.SampleRows(n, stride)) : null;
        if (features is not null || label is not null || sample is not null)
        {
            features?.EndMeanPass();
            label?.EndMeanPass();
            using var reader = Open();
            long r = 0;
            for (; reader.MoveNext(); r++)
            {
                reader.Read(x, y, out _);
                features?.AddToVariance(x);
                label?.AddToVariance(y);
                if (sample is not null && r % stride == 0) sample.Add(x);
            }
            if (r != n)
                throw new InvalidOperationException($"The streamed training data gave {n} rows on its first pass and {r} on its second: the source must yield the same rows on every pass.");
        }
        var transform = features is not null ? features.FeatureScaling() : fitFeatures == FeatureNormalization.Robust ? sample!.Fit() : null;
        return new Statistics(n, counts, transform, label?.LabelScaling(), findNumeric ? sample!.NumericFeatures() : null);
    }

    /// <summary>
    /// The <c>MLContext.Log</c> warning for rows skipped by <see cref="SkipRowsWithNonFiniteFeatures"/>, worded as the
    /// in-memory path's (null when none were skipped). Call after <see cref="Scan"/> on <paramref name="train"/> and
    /// <see cref="Count"/> on <paramref name="validation"/>. With a hash split (<paramref name="separateValidation"/> false)
    /// both parts come from the training view, so their counts are reported together as training rows, as in memory.
    /// </summary>
    public static string? SkippedRowsWarning(DataViewRows train, DataViewRows? validation, bool separateValidation)
    {
        long skippedValidation = validation?.Skipped ?? 0;
        long skippedTrain = train.Skipped + (separateValidation ? 0 : skippedValidation);
        if (separateValidation ? skippedTrain == 0 && skippedValidation == 0 : skippedTrain == 0) return null;
        long kept = train.Rows + (separateValidation ? 0 : validation?.Rows ?? 0);
        return $"SkipRowsWithNonFiniteFeatures: skipped {skippedTrain} training rows" +
            (separateValidation ? $" and {skippedValidation} validation rows" : "") +
            $" whose feature column '{train._columns.Features.Name}' holds NaN or infinite values; {kept} training rows kept (streamed).";
    }

    private sealed class Reader : IRowReader
    {
        private readonly DataViewRows _rows;
        private readonly DataViewRowCursor _cursor;
        private readonly ValueGetter<VBuffer<float>>? _getFeatures;
        private readonly LabelAndWeightGetters? _labelAndWeight;
        private readonly bool _skip;
        private VBuffer<float> _row;
        private bool _rowFetched; // _row holds the current row's features (fetched by MoveNext to decide on skipping)

        public Reader(DataViewRows rows, bool readValues = true)
        {
            _rows = rows;
            _skip = rows.SkipRowsWithNonFiniteFeatures;
            var c = rows._columns;
            var active = new List<DataViewSchema.Column>();
            if (readValues || _skip) active.Add(c.Features); // skipping must look at the features even when only counting
            if (readValues)
            {
                if (c.Label is { } l) active.Add(l);
                if (c.Weight is { } w) active.Add(w);
            }
            _cursor = rows._data.GetRowCursor(active);
            if (readValues || _skip) _getFeatures = _cursor.GetGetter<VBuffer<float>>(c.Features);
            if (readValues) _labelAndWeight = new LabelAndWeightGetters(_cursor, c, rows._task);
        }

        /// <summary>Rows stepped over so far in this pass for non-finite features.</summary>
        public long Skipped { get; private set; }

        public bool MoveNext()
        {
            _rowFetched = false;
            while (_cursor.MoveNext())
            {
                long row = _cursor.Position;
                if ((row & 1023) == 0) _rows._cancellation.ThrowIfCancellationRequested();
                if (_rows._split is { } s && s.IsValidationRow(row) != s.Validation) continue;
                if (_skip)
                {
                    _getFeatures!(ref _row);
                    _rowFetched = true;
                    // Same rule as TrainingDataReader: a malformed row is an error, a well-formed row with a NaN/±∞ value is skipped.
                    TrainingDataReader.CheckLength(_row, _rows.FeatureCount, _rows._columns.Features.Name, row);
                    if (!TrainingDataReader.AllFinite(_row.GetValues()))
                    {
                        Skipped++;
                        _rowFetched = false;
                        continue;
                    }
                }
                return true;
            }
            return false;
        }

        public void Read(Span<float> features, Span<float> targets, out float weight)
        {
            long row = _cursor.Position;
            if (!_rowFetched) _getFeatures!(ref _row);
            TrainingDataReader.CopyRow(_row, features, _rows._columns.Features.Name, row);
            _rows.Transform?.Apply(features, features);

            float target = _labelAndWeight!.ReadTarget(row);
            if (_rows.LabelScaling is { } ls) target = (target - ls.Mean) / ls.Scale;
            targets[0] = target;

            weight = _labelAndWeight.ReadWeight(row);
            if (_rows.ClassWeights is { } cw) weight = cw[(int)target] * weight;
        }

        public void Dispose() => _cursor.Dispose();
    }
}
