using Microsoft.ML;

namespace MLNetBackprop;

/// <summary>
/// <c>mlContext.Model.SaveAtomic(...)</c>: saves a model so that the destination file is either the complete old
/// model or the complete new one, never a partly written mix. ML.NET's own <c>Model.Save(model, schema, path)</c>
/// truncates the destination first, so an exception while saving (a component that cannot be saved, a full disk,
/// a killed process) leaves a destroyed model.zip behind.
/// </summary>
public static class AtomicModelSave
{
    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/> atomically: the model is written to a uniquely named
    /// temporary file in the same folder, flushed to the disk (<see cref="FileStream.Flush(bool)"/> with
    /// <c>flushToDisk: true</c>), then renamed over <paramref name="path"/> (<see cref="File.Move(string, string, bool)"/>,
    /// an atomic rename on one volume). On any failure the temporary file is deleted, the exception propagates and
    /// the previous file at <paramref name="path"/>, if any, is untouched.
    /// </summary>
    /// <remarks>
    /// The rename is atomic for readers; durability of the rename itself across a power loss also depends on the
    /// file system journaling the folder (not forced here: .NET has no portable directory fsync).
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
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                // ML.NET may dispose the stream it is given; keep ours open so it can be flushed to the disk.
                using (var keepOpen = new NonClosingStream(file))
                    catalog.Save(model, inputSchema, keepOpen);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
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
