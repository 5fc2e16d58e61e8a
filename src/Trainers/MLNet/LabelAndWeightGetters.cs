using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop;

/// <summary>
/// Reads the target and the example weight of a cursor's current row, checking each value: the one place both
/// training reads — into memory (<see cref="TrainingDataReader"/>) and streamed (<see cref="DataViewRows"/>) —
/// take labels and weights from, so they accept the same rows and reject the others with the same message.
/// </summary>
internal sealed class LabelAndWeightGetters
{
    private readonly TrainingDataReader.Columns _columns;
    private readonly ValueGetter<uint>? _getKey;
    private readonly ValueGetter<bool>? _getBool;
    private readonly ValueGetter<float>? _getFloat;
    private readonly ValueGetter<float>? _getWeight;

    /// <param name="cursor">A cursor with the label and weight columns active.</param>
    /// <param name="columns">The checked columns; without a label column every target is 0, without a weight column every weight 1.</param>
    /// <param name="task">How the label is read.</param>
    public LabelAndWeightGetters(DataViewRowCursor cursor, TrainingDataReader.Columns columns, TaskKind task)
    {
        _columns = columns;
        if (columns.Label is { } label)
        {
            _getKey = task == TaskKind.Multiclass ? cursor.GetGetter<uint>(label) : null;
            _getBool = task == TaskKind.Binary ? cursor.GetGetter<bool>(label) : null;
            _getFloat = task == TaskKind.Regression ? cursor.GetGetter<float>(label) : null;
        }
        _getWeight = columns.Weight is { } weight ? cursor.GetGetter<float>(weight) : null;
    }

    /// <summary>The current row's target: class index (multiclass), 0/1 (binary), value (regression).</summary>
    /// <param name="row">The row's position, for the message.</param>
    /// <exception cref="InvalidOperationException">A missing or out-of-range key, or a non-finite regression label.</exception>
    public float ReadTarget(long row)
    {
        if (_getKey is not null)
        {
            uint key = 0;
            _getKey(ref key);
            if (key == 0 || key > _columns.ClassCount)
                throw new InvalidOperationException($"Label column '{_columns.Label!.Value.Name}', row {row}: the key is {(key == 0 ? "missing (0)" : key.ToString())}; expected a class key in 1..{_columns.ClassCount}.");
            return key - 1;
        }
        if (_getBool is not null)
        {
            bool b = false;
            _getBool(ref b);
            return b ? 1f : 0f;
        }
        if (_getFloat is not null)
        {
            float y = 0;
            _getFloat(ref y);
            if (!float.IsFinite(y))
                throw new InvalidOperationException($"Label column '{_columns.Label!.Value.Name}', row {row}: the label is {y}; expected a finite number.");
            return y;
        }
        return 0;
    }

    /// <summary>The current row's example weight (1 without a weight column).</summary>
    /// <param name="row">The row's position, for the message.</param>
    /// <exception cref="InvalidOperationException">A negative or non-finite weight.</exception>
    public float ReadWeight(long row)
    {
        if (_getWeight is null) return 1f;
        float weight = 0;
        _getWeight(ref weight);
        if (!(weight >= 0 && float.IsFinite(weight)))
            throw new InvalidOperationException($"Example weight column '{_columns.Weight!.Value.Name}', row {row}: the weight is {weight}; expected a finite number ≥ 0.");
        return weight;
    }
}
