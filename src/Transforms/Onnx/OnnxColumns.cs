using Microsoft.ML.Data;

namespace MLNetBackprop.Onnx;

/// <summary>
/// While a pipeline is exported: which graph value holds each visible column, and its type — what a step reads its
/// inputs from and writes its outputs to (a column a step writes again hides the earlier one, as in a data view).
/// </summary>
internal sealed class OnnxColumns
{
    private readonly Dictionary<string, (string Value, DataViewType Type)> _columns = new(StringComparer.Ordinal);

    /// <summary>The value holding <paramref name="column"/>; throws naming the column and the step when there is none.</summary>
    public string Value(string column, string step) =>
        _columns.TryGetValue(column, out var c) ? c.Value
        : throw new InvalidOperationException($"{step} reads column '{column}', which no earlier step of the exported pipeline produces.");

    /// <summary>Binds <paramref name="column"/> to <paramref name="value"/>.</summary>
    public void Set(string column, string value, DataViewType type) => _columns[column] = (value, type);

    /// <summary>True when <paramref name="column"/> has a value.</summary>
    public bool Contains(string column) => _columns.ContainsKey(column);
}
