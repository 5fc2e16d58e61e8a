using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop;

/// <summary>
/// The errors for a label column of the wrong type, one per task, shared by the estimators' schema check
/// (<c>GetOutputSchema</c>) and the check at Fit. Each names the column and its type and says how to get the type the
/// task needs, with the ML.NET call that converts it.
/// </summary>
internal static class LabelTypeMessages
{
    /// <summary>The message for <paramref name="task"/> when label column <paramref name="column"/> has type <paramref name="typeName"/>.</summary>
    public static string WrongType(TaskKind task, string column, string typeName) => task switch
    {
        TaskKind.Multiclass =>
            $"Label column '{column}' has type {typeName}; multiclass classification needs a key label: add " +
            $"mlContext.Transforms.Conversion.MapValueToKey(\"{column}\") before the trainer (and " +
            "mlContext.Transforms.Conversion.MapKeyToValue(\"PredictedLabel\") after it to get the original values back).",
        TaskKind.Binary =>
            $"Label column '{column}' has type {typeName}; binary classification needs a Boolean label: load it as bool " +
            $"(e.g. [LoadColumn(0)] public bool {Identifier(column)} {{ get; set; }}, or DataKind.Boolean in a TextLoader column), or convert it with " +
            $"mlContext.Transforms.Conversion.ConvertType(\"{column}\", outputKind: DataKind.Boolean) (numbers: non-zero is true; " +
            "text: true/false, yes/no, 1/0), or for any other rule with mlContext.Transforms.CustomMapping.",
        TaskKind.Regression =>
            $"Label column '{column}' has type {typeName}; regression needs a Single label: load it as float " +
            $"(e.g. [LoadColumn(0)] public float {Identifier(column)} {{ get; set; }}, or DataKind.Single in a TextLoader column) or convert it with " +
            $"mlContext.Transforms.Conversion.ConvertType(\"{column}\", outputKind: DataKind.Single).",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, null),
    };

    /// <summary>A schema-shape column's type as <c>DataViewType.ToString()</c> would name it.</summary>
    public static string TypeName(SchemaShape.Column c) =>
        (c.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => $"{c.ItemType}",
            SchemaShape.Column.VectorKind.Vector => $"Vector<{c.ItemType}>",
            _ => $"variable-size Vector<{c.ItemType}>",
        }) + (c.IsKey && c.ItemType is not KeyDataViewType ? " (key)" : "");

    /// <summary>The column name as a C# property name in the example (the name itself when it is one).</summary>
    private static string Identifier(string column) =>
        column.Length > 0 && (char.IsLetter(column[0]) || column[0] == '_') && column.All(ch => char.IsLetterOrDigit(ch) || ch == '_') ? column : "Label";
}
