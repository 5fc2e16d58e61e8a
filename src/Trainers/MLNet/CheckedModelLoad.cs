using MLNetBackprop;
using MLNetBackprop.Internals;

// Catalog extensions live in namespace Microsoft.ML, as ML.NET's own trainer packages' do, so that
// `using Microsoft.ML;` alone makes them visible.
namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.Model.LoadChecked(...)</c>: loads a model file that comes from elsewhere only after checking it against
/// <see cref="ModelLoadLimits"/>, so a hostile or broken file is refused with a named error instead of exhausting
/// memory or disk (a zip bomb), overflowing the stack inside ML.NET's loader (deeply nested chains: the process would
/// end with no exception to catch), or making ML.NET load an assembly the file names.
/// </summary>
public static class CheckedModelLoad
{
    /// <summary>
    /// Reads <paramref name="filePath"/> (refused unread when longer than <see cref="ModelLoadLimits.MaxFileBytes"/>),
    /// inspects it in memory — every zip entry's declared and actual inflated size, compression ratio, nesting depth
    /// and name, and every component's loader assembly and signature — and only then hands those same bytes to
    /// <c>mlContext.Model.Load</c>. MLNetBackprop's loaders are registered with the context first.
    /// </summary>
    /// <param name="catalog"><c>mlContext.Model</c>.</param>
    /// <param name="filePath">The model.zip.</param>
    /// <param name="inputSchema">The schema the model was saved with (as <c>Model.Load</c> returns it).</param>
    /// <param name="limits">What to accept (null: the defaults of <see cref="ModelLoadLimits"/>).</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="InvalidDataException">The file breaks a limit or is not a genuine model file; the message names the limit or the entry.</exception>
    public static ITransformer LoadChecked(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema, ModelLoadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        limits ??= new ModelLoadLimits();
        limits.Validate();
        byte[] bytes;
        using (var file = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            if (file.Length > limits.MaxFileBytes)
                throw new InvalidDataException($"Model file '{filePath}' has {file.Length:N0} bytes, more than ModelLoadLimits.MaxFileBytes = {limits.MaxFileBytes:N0}; it was not read.");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        return LoadInspected(catalog, bytes, limits, $"Model file '{filePath}'", out inputSchema);
    }

    /// <summary>
    /// As <see cref="LoadChecked(ModelOperationsCatalog, string, out DataViewSchema, ModelLoadLimits?)"/>, from a stream
    /// (read from its current position; a seekable stream longer than <see cref="ModelLoadLimits.MaxFileBytes"/> is
    /// refused unread, another is read up to that many bytes and refused if more follow).
    /// </summary>
    /// <param name="catalog"><c>mlContext.Model</c>.</param>
    /// <param name="stream">The model.zip's bytes.</param>
    /// <param name="inputSchema">The schema the model was saved with.</param>
    /// <param name="limits">What to accept (null: the defaults).</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="InvalidDataException">The data breaks a limit or is not a genuine model file.</exception>
    public static ITransformer LoadChecked(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema inputSchema, ModelLoadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= new ModelLoadLimits();
        limits.Validate();
        if (stream.CanSeek && stream.Length - stream.Position > limits.MaxFileBytes)
            throw new InvalidDataException($"The model stream has {stream.Length - stream.Position:N0} bytes, more than ModelLoadLimits.MaxFileBytes = {limits.MaxFileBytes:N0}; it was not read.");
        using var copy = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, limits.MaxFileBytes + 1 - copy.Length))) > 0)
        {
            copy.Write(buffer, 0, n);
            if (copy.Length > limits.MaxFileBytes)
                throw new InvalidDataException($"The model stream holds more than ModelLoadLimits.MaxFileBytes = {limits.MaxFileBytes:N0} bytes; reading stopped there.");
        }
        return LoadInspected(catalog, copy.ToArray(), limits, "The model stream", out inputSchema);
    }

    private static ITransformer LoadInspected(ModelOperationsCatalog catalog, byte[] bytes, ModelLoadLimits limits, string source, out DataViewSchema inputSchema)
    {
        ModelFileInspector.Inspect(bytes, limits, source);
        TrainerRegistration.Register(MLNetBridge.GetEnvironment(catalog));
        // The bytes inspected are the bytes loaded: a file changed after its inspection cannot slip through.
        return catalog.Load(new MemoryStream(bytes, writable: false), out inputSchema);
    }
}
