using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// Reads an <see cref="IDataView"/> into the engine's in-memory <see cref="Dataset"/>: features
/// (dense or sparse known-size Single vectors) into one row-major slab, labels as the task's loss
/// wants them, example weights. Every bad value is an error naming the column and the row.
/// </summary>
internal static class TrainingDataReader
{
    /// <summary>The checked column layout of a training or scoring schema.</summary>
    internal readonly record struct Columns(DataViewSchema.Column Features, int FeatureCount, DataViewSchema.Column? Label, DataViewSchema.Column? Weight, int ClassCount);

    /// <summary>Checks the schema for the task, naming the offending column and what was expected.</summary>
    public static Columns CheckSchema(DataViewSchema schema, TaskKind task, string featureColumn, string? labelColumn, string? weightColumn)
    {
        var features = schema.GetColumnOrNull(featureColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(featureColumn), featureColumn, $"Feature column '{featureColumn}' not found in the data. Columns: {string.Join(", ", schema.Select(c => c.Name))}.");
        if (features.Type is not VectorDataViewType { ItemType: NumberDataViewType n } vt || n.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(featureColumn), featureColumn, $"Feature column '{featureColumn}' has type {features.Type}; expected a known-size vector of Single (use Concatenate to build one).");
        if (!vt.IsKnownSize)
            throw new ArgumentOutOfRangeException(nameof(featureColumn), featureColumn, $"Feature column '{featureColumn}' is a variable-size vector; expected a known-size vector of Single.");

        DataViewSchema.Column? label = null;
        int classes = 0;
        if (labelColumn is not null)
        {
            label = schema.GetColumnOrNull(labelColumn)
                ?? throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, $"Label column '{labelColumn}' not found in the data.");
            var type = label.Value.Type;
            switch (task)
            {
                case TaskKind.Multiclass:
                    if (type is not KeyDataViewType key)
                        throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, LabelTypeMessages.WrongType(task, labelColumn, $"{type}"));
                    if (key.Count < 2 || key.Count > int.MaxValue)
                        throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, $"Label column '{labelColumn}' has {key.Count} key values; expected at least 2 classes.");
                    classes = (int)key.Count;
                    break;
                case TaskKind.Binary:
                    if (type != BooleanDataViewType.Instance)
                        throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, LabelTypeMessages.WrongType(task, labelColumn, $"{type}"));
                    classes = 2;
                    break;
                case TaskKind.Regression:
                    if (type != NumberDataViewType.Single)
                        throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, LabelTypeMessages.WrongType(task, labelColumn, $"{type}"));
                    break;
            }
        }

        DataViewSchema.Column? weight = null;
        if (weightColumn is not null)
        {
            weight = schema.GetColumnOrNull(weightColumn)
                ?? throw new ArgumentOutOfRangeException(nameof(weightColumn), weightColumn, $"Example weight column '{weightColumn}' not found in the data.");
            if (weight.Value.Type != NumberDataViewType.Single)
                throw new ArgumentOutOfRangeException(nameof(weightColumn), weightColumn, $"Example weight column '{weightColumn}' has type {weight.Value.Type}; expected Single.");
        }
        return new Columns(features, vt.Size, label, weight, classes);
    }

    /// <summary>
    /// Reads every row. Targets: class index (multiclass), 0/1 (binary), value (regression). With
    /// <paramref name="skipRowsWithNonFiniteFeatures"/> a row whose features hold NaN or ±∞ is left out (its label
    /// and weight are not read) and counted in <paramref name="skipped"/> instead of being an error.
    /// </summary>
    public static Dataset Read(IDataView data, Columns columns, TaskKind task, bool skipRowsWithNonFiniteFeatures, out long skipped, CancellationToken cancellation = default, string role = "training")
    {
        skipped = 0;
        var active = new List<DataViewSchema.Column> { columns.Features };
        if (columns.Label is { } l) active.Add(l);
        if (columns.Weight is { } w) active.Add(w);
        int d = columns.FeatureCount;
        long? known = data.GetRowCount();
        // The row count a view reports only sizes the first allocation, up to 65,536 rows: a view that overstates it
        // must not make us allocate what its rows will never fill (the arrays double as rows arrive).
        int capacity = known is > 0 ? (int)Math.Min(known.Value, 1 << 16) : 1024;
        capacity = (int)Math.Max(1, Math.Min(capacity, Array.MaxLength / Math.Max(1, d)));
        var features = new float[capacity * d];
        var targets = new float[capacity];
        float[]? weights = columns.Weight is null ? null : new float[capacity];

        using var cursor = data.GetRowCursor(active);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(columns.Features);
        var labelAndWeight = new LabelAndWeightGetters(cursor, columns, task);
        VBuffer<float> row = default;
        string featureName = columns.Features.Name;
        int n = 0;
        long rowIndex = -1; // position in the input, for messages (differs from n once rows are skipped)
        while (cursor.MoveNext())
        {
            rowIndex++;
            if ((rowIndex & 1023) == 0) cancellation.ThrowIfCancellationRequested();
            if (n == capacity)
            {
                long grown = Math.Min(2L * capacity, Array.MaxLength / Math.Max(1, d));
                if (grown <= capacity)
                    throw new InvalidOperationException($"The {role} data does not fit in memory as one array: {n:N0}+ rows × {d:N0} slots of feature column '{featureName}' " +
                        $"exceed {Array.MaxLength:N0} values. Set MemoryBudgetMegabytes to stream it from the IDataView instead.");
                capacity = (int)grown;
                Array.Resize(ref features, capacity * d);
                Array.Resize(ref targets, capacity);
                if (weights is not null) Array.Resize(ref weights, capacity);
            }
            getFeatures(ref row);
            if (skipRowsWithNonFiniteFeatures)
            {
                CheckLength(row, d, featureName, rowIndex);
                if (!AllFinite(row.GetValues()))
                {
                    skipped++;
                    continue;
                }
            }
            CopyRow(row, features.AsSpan(n * d, d), featureName, rowIndex);
            targets[n] = labelAndWeight.ReadTarget(rowIndex);
            if (weights is not null) weights[n] = labelAndWeight.ReadWeight(rowIndex);
            n++;
        }
        if (n == 0)
        {
            string labelPart = columns.Label is { } lc ? $", label column '{lc.Name}'" : "";
            throw new InvalidOperationException(skipped > 0
                ? $"The {role} data has no usable rows: all {skipped} rows were skipped because feature column '{featureName}' holds NaN or infinite values (SkipRowsWithNonFiniteFeatures)."
                : $"The {role} data has no rows (feature column '{featureName}'{labelPart}).");
        }
        if (weights is not null && weights.AsSpan(0, n).IndexOfAnyExcept(0f) < 0)
            throw new InvalidOperationException($"Every example weight in column '{columns.Weight!.Value.Name}' of the {role} data is 0: there is nothing to train on (weights must be ≥ 0 and not all 0).");
        return new Dataset(new Matrix(n, d, features), targets, 1, weights);
    }

    /// <summary>Copies a dense or sparse vector into <paramref name="destination"/>, rejecting wrong sizes and non-finite values.</summary>
    public static void CopyRow(in VBuffer<float> row, Span<float> destination, string column, long rowIndex)
    {
        CheckLength(row, destination.Length, column, rowIndex);
        var values = row.GetValues();
        if (row.IsDense) values.CopyTo(destination);
        else
        {
            destination.Clear();
            var indices = row.GetIndices();
            for (int i = 0; i < indices.Length; i++) destination[indices[i]] = values[i];
        }
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                int slot = row.IsDense ? i : row.GetIndices()[i];
                throw new InvalidOperationException($"Feature column '{column}', row {rowIndex}, slot {slot}: the value is {values[i]}; features must be finite (replace missing values first, e.g. with ReplaceMissingValues).");
            }
        }
    }

    /// <summary>Rejects a vector whose length is not the schema's (a data view that breaks its own schema), or whose sparse indices are out of range.</summary>
    internal static void CheckLength(in VBuffer<float> row, int expected, string column, long rowIndex)
    {
        if (row.Length != expected)
            throw new InvalidOperationException($"Feature column '{column}', row {rowIndex}: the vector has {row.Length} values; expected {expected}.");
        if (!row.IsDense)
        {
            var indices = row.GetIndices();
            for (int i = 0; i < indices.Length; i++)
                if ((uint)indices[i] >= (uint)expected)
                    throw new InvalidOperationException($"Feature column '{column}', row {rowIndex}: sparse index {indices[i]} is outside the vector's {expected} slots.");
        }
    }

    /// <summary>Whether every value is finite (no NaN, no ±∞): the test that decides skipping a row.</summary>
    internal static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
