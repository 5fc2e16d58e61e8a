using MLNetBackprop.Internals;
using MLNetBackprop.Onnx;

namespace Microsoft.ML;

/// <summary>
/// ONNX export of whole pipelines that hold MLNetBackprop's transformers: <c>mlContext.Model.ExportToOnnx(model, data, stream)</c>.
/// ML.NET's own <c>ConvertToOnnx</c> cannot see transformers outside ML.NET (its ONNX interfaces are internal) and
/// silently leaves them out; this entry point exports every step — ML.NET's transforms through ML.NET's converter,
/// ours through their own ONNX form — into one graph, and fails naming the step when one cannot be exported.
/// </summary>
public static class BackpropOnnxExtensions
{
    /// <summary>
    /// Writes the ONNX form (opset 12, ML.NET's conventions) of <paramref name="model"/> to <paramref name="stream"/>.
    /// Graph inputs are the visible columns of <paramref name="inputData"/>'s schema (named after them; a scalar is a
    /// [−1, 1] tensor, a vector [−1, n]); outputs are named <c>column.output</c>, as ML.NET's converter names them, so
    /// <c>ApplyOnnxModel</c> restores the column names. Only the schema of <paramref name="inputData"/> is read.
    /// </summary>
    /// <param name="catalog">mlContext.Model.</param>
    /// <param name="model">The fitted pipeline (a chain, or one transformer).</param>
    /// <param name="inputData">Data of the shape the model is applied to (its rows are not read).</param>
    /// <param name="stream">Receives the ONNX model.</param>
    /// <param name="outputColumns">The columns to output; none given: every visible output column of an ONNX type.</param>
    /// <exception cref="NotSupportedException">A step (named with its position and type) or a requested column cannot be exported.</exception>
    public static void ExportToOnnx(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, Stream stream, params string[] outputColumns)
    {
        ArgumentNullException.ThrowIfNull(inputData);
        catalog.ExportToOnnx(model, inputData.Schema, stream, outputColumns);
    }

    /// <summary>
    /// Writes the ONNX form of <paramref name="model"/> for rows of <paramref name="inputSchema"/> — e.g. the schema
    /// <c>mlContext.Model.Load(path, out var inputSchema)</c> gives — to <paramref name="stream"/>.
    /// </summary>
    /// <param name="catalog">mlContext.Model.</param>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputSchema">The columns the model is applied to.</param>
    /// <param name="stream">Receives the ONNX model.</param>
    /// <param name="outputColumns">The columns to output; none given: every visible output column of an ONNX type.</param>
    public static void ExportToOnnx(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, Stream stream, params string[] outputColumns)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(OnnxPipelineExporter.Export(model, inputSchema, outputColumns));
    }

    /// <summary>
    /// Writes the ONNX form of <paramref name="model"/> to the file <paramref name="path"/>, replacing it only once the
    /// whole model is written (an export that fails leaves the previous file as it was).
    /// </summary>
    /// <param name="catalog">mlContext.Model.</param>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputData">Data of the shape the model is applied to (its rows are not read).</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="outputColumns">The columns to output; none given: every visible output column of an ONNX type.</param>
    public static void ExportToOnnx(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, string path, params string[] outputColumns)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(inputData);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = OnnxPipelineExporter.Export(model, inputData.Schema, outputColumns);
        AtomicFile.Write(path, bytes); // the project's one way of replacing a file (staging folder, mode and links kept)
    }
}
