namespace MLNetBackprop.Onnx;

/// <summary>A transformer of ours that writes its own ONNX nodes (ML.NET's converter cannot see our transformers).</summary>
internal interface IOnnxExportable
{
    /// <summary>
    /// Adds the nodes that compute this transformer's output columns from the values in <paramref name="columns"/>, and
    /// binds each output column to its value. Throws <see cref="NotSupportedException"/> naming what cannot be exported.
    /// </summary>
    void ExportOnnx(OnnxGraph graph, OnnxColumns columns);
}
