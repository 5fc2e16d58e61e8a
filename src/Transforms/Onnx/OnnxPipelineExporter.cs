using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetBackprop.Onnx;

/// <summary>
/// Exports a fitted pipeline to one ONNX graph, step by step: a step of ours writes its own nodes
/// (<see cref="IOnnxExportable"/>); any other step is converted alone by ML.NET's converter, against a row-less view
/// of its input columns, and spliced in with its inputs bound to the values that hold those columns. A step that
/// cannot be exported stops the export with an error naming it — never a graph that silently skips it.
/// </summary>
internal static class OnnxPipelineExporter
{
    /// <summary>ML.NET's converter logs this (a warning) and carries on without the step when a step cannot save itself as ONNX.</summary>
    private const string StoppedWalkback = "Had to stop walkback";

    /// <summary>The ModelProto of <paramref name="model"/> applied to rows of <paramref name="inputSchema"/>.</summary>
    /// <param name="model">A fitted transformer or chain.</param>
    /// <param name="inputSchema">The columns the model is applied to; each visible column of an ONNX type is a graph input named after it.</param>
    /// <param name="outputColumns">The columns to output (null or empty: every visible column of an ONNX type).</param>
    public static byte[] Export(ITransformer model, DataViewSchema inputSchema, IReadOnlyCollection<string>? outputColumns)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var graph = new OnnxGraph();
        var columns = new OnnxColumns();
        foreach (var column in inputSchema)
        {
            if (column.IsHidden || !HasOnnxType(column.Type)) continue;
            columns.Set(column.Name, graph.AddInput(column.Name, column.Type, column.Name), column.Type);
        }
        var schema = inputSchema;
        int index = 0;
        foreach (var step in Steps(model))
        {
            string name = $"Pipeline step {index++} ({step.GetType().Name})";
            var output = step.GetOutputSchema(schema);
            if (step is IOnnxExportable ours) ours.ExportOnnx(graph, columns);
            else SpliceMLNetStep(graph, columns, step, schema, name);
            schema = output;
        }
        var wanted = outputColumns is { Count: > 0 } ? new HashSet<string>(outputColumns, StringComparer.Ordinal) : null;
        foreach (string requested in wanted ?? [])
            if (schema.GetColumnOrNull(requested) is not { IsHidden: false })
                throw new ArgumentException($"Output column '{requested}' is not a column of the pipeline's output.", nameof(outputColumns));
        foreach (var column in schema)
        {
            if (column.IsHidden || (wanted is not null && !wanted.Contains(column.Name))) continue;
            if (!HasOnnxType(column.Type) || !columns.Contains(column.Name))
            {
                if (wanted is null) continue; // a pass-through column ONNX cannot carry (e.g. a DateTime) is not an output
                throw new NotSupportedException($"Output column '{column.Name}' has type {column.Type}, which has no ONNX tensor type.");
            }
            graph.AddOutput(column.Name, columns.Value(column.Name, "The graph's output"), column.Type);
            if (column.Type is VectorDataViewType { IsKnownSize: true, Size: var size } && column.Annotations.Schema.GetColumnOrNull("SlotNames") is { } slots)
            {
                VBuffer<ReadOnlyMemory<char>> names = default;
                column.Annotations.GetValue(slots.Name, ref names);
                if (names.Length == size) graph.AddSlotNames(column.Name, names.DenseValues().Select(n => n.ToString()).ToArray());
            }
        }
        return graph.ToModel(typeof(OnnxPipelineExporter).Assembly.GetName().Version?.ToString() ?? "0");
    }

    /// <summary>The steps of <paramref name="model"/> in order, nested chains flattened.</summary>
    private static IEnumerable<ITransformer> Steps(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [model];

    private static bool HasOnnxType(DataViewType type) => OnnxTypes.ElementType(type is VectorDataViewType v ? v.ItemType : type) is not null;

    private static void SpliceMLNetStep(OnnxGraph graph, OnnxColumns columns, ITransformer step, DataViewSchema schema, string name)
    {
        // Only the columns ONNX can carry: ML.NET's converter refuses a whole graph for one unsupported input type.
        var input = SchemaOnlyDataView.OfVisible(schema, column => HasOnnxType(column.Type) && columns.Contains(column.Name));
        var context = new MLContext();
        var skipped = new List<string>();
        context.Log += (_, e) =>
        {
            if (e.Message.Contains(StoppedWalkback, StringComparison.Ordinal)) skipped.Add(e.Message);
        };
        byte[] model;
        DataViewSchema output;
        try
        {
            output = step.GetOutputSchema(input.Schema);
            using var stream = new MemoryStream();
            context.Model.ConvertToOnnx(step, input, stream);
            model = stream.ToArray();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new NotSupportedException($"{name} cannot be exported to ONNX: {e.Message}", e);
        }
        if (skipped.Count > 0)
            throw new NotSupportedException($"{name} cannot be exported to ONNX: ML.NET's converter has no ONNX form for it ({skipped[0]}).");
        var outputs = graph.Splice(model, column => columns.Value(column, name), name);
        var visible = output.Where(c => !c.IsHidden).ToList();
        if (outputs.Count != visible.Count)
            throw new NotSupportedException($"{name}: ML.NET's converter wrote {outputs.Count} outputs for {visible.Count} columns.");
        for (int i = 0; i < visible.Count; i++)
        {
            var (onnxName, value) = outputs[i];
            if (!onnxName.StartsWith(visible[i].Name + ".output", StringComparison.Ordinal))
                throw new NotSupportedException($"{name}: ML.NET's converter output '{onnxName}' where column '{visible[i].Name}' was expected.");
            columns.Set(visible[i].Name, graph.ThroughIdentity(value), visible[i].Type);
        }
    }
}
