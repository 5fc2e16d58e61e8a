using MLNetBackprop.Internals;
using MLNetBackprop;
using MLNetBackprop.Engine;

// Catalog extensions live in namespace Microsoft.ML, as ML.NET's own trainer packages' do, so that
// `using Microsoft.ML;` alone makes them visible.
namespace Microsoft.ML;

/// <summary>
/// <c>mlContext.Model.SaveAtomic(...)</c>: saves a model so that the destination file is either the complete old
/// model or the complete new one, never a partly written mix. ML.NET's own <c>Model.Save(model, schema, path)</c>
/// truncates the destination first, so an exception while saving (a component that cannot be saved, a full disk,
/// a killed process) leaves a destroyed model.zip behind.
/// </summary>
public static class AtomicModelSave
{
    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/> atomically: the model is written into a private staging
    /// folder beside the destination (<c>.{name}.{guid}.tmp/</c>, which also receives the scratch files ML.NET writes
    /// while saving), flushed to the disk, then renamed over <paramref name="path"/> (an atomic rename on one volume).
    /// On any failure the exception propagates and the previous file at <paramref name="path"/>, if any, is untouched;
    /// the staging folder is removed either way, and one left by a process killed mid-save is removed by the next save
    /// to the same destination. An existing destination keeps its Unix permission bits (a 0600 model stays 0600), and
    /// a destination that is a symbolic link is written through (the file it points to is replaced; the link stays).
    /// </summary>
    /// <remarks>
    /// The rename is atomic for readers; durability of the rename itself across a power loss also depends on the
    /// file system journaling the folder (not forced here: .NET has no portable directory fsync). The new file is owned
    /// by the saving user, as any new file is; .NET has no portable way to give it the old file's owner.
    /// </remarks>
    /// <param name="catalog"><c>mlContext.Model</c>.</param>
    /// <param name="model">The trained model (transformer or chain).</param>
    /// <param name="inputSchema">The schema of the data the model was trained on (may be null, as for <c>Save</c>).</param>
    /// <param name="path">Destination file; its folder must exist.</param>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/>, <paramref name="model"/> or <paramref name="path"/> is null.</exception>
    public static void SaveAtomic(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, (file, staging) =>
        {
            // Saving goes through a context whose scratch folder is our staging folder, so ML.NET's own temporary
            // entries (ml_dotnet_*) are removed with it, also after a crash. Saving uses the context for nothing else.
            var saver = new MLContext { TempFilePath = staging };
            // ML.NET may dispose the stream it is given; keep ours open so it can be flushed to the disk.
            using var keepOpen = new NonClosingStream(file);
            saver.Model.Save(model, inputSchema, keepOpen);
        });
    }

    /// <summary>Forwards everything to the inner stream except Dispose/Close.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void WriteByte(byte value) => inner.WriteByte(value);
        protected override void Dispose(bool disposing) => inner.Flush();
    }
}
