namespace MLNetBackprop;

/// <summary>
/// What <see cref="Microsoft.ML.CheckedModelLoad.LoadChecked(Microsoft.ML.ModelOperationsCatalog, string, out Microsoft.ML.DataViewSchema, ModelLoadLimits?)"/>
/// accepts from a model file before ML.NET reads it — in the spirit of PyTorch's <c>torch.load(weights_only=True)</c>,
/// for files that come from elsewhere (uploads, shared folders, downloads). Each refusal is an
/// <see cref="InvalidDataException"/> naming the limit, so a service can tell its users which one they hit.
/// The defaults accept any model ML.NET and MLNetBackprop write in practice; tighten them to what your service serves.
/// </summary>
public sealed class ModelLoadLimits
{
    /// <summary>
    /// Largest model file accepted, in bytes (default 1 GiB). Checked against the file's length before a byte of it is
    /// read; a stream without a length is read up to this many bytes and refused if it holds more.
    /// </summary>
    public long MaxFileBytes { get; set; } = 1L << 30;

    /// <summary>Largest size one entry of the zip may inflate to, in bytes (default 1 GiB).</summary>
    public long MaxEntryBytes { get; set; } = 1L << 30;

    /// <summary>Largest size all entries together may inflate to, in bytes (default 2 GiB).</summary>
    public long MaxTotalBytes { get; set; } = 2L << 30;

    /// <summary>
    /// Largest ratio of an entry's inflated to compressed size, for entries that inflate beyond 1 MiB (default 200).
    /// Model weights barely compress (about 1.1×) and ML.NET's text entries about 5–10×; a file that inflates a
    /// thousandfold is a zip bomb. <see cref="double.PositiveInfinity"/> turns the check off.
    /// </summary>
    public double MaxCompressionRatio { get; set; } = 200;

    /// <summary>Most entries the zip may hold (default 10,000).</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>
    /// Deepest folder nesting of an entry (default 64). Each nested transformer chain adds one level, and ML.NET's
    /// loader recurses once per level: 500 levels overflow a 1 MB thread stack and end the process.
    /// </summary>
    public int MaxNestingDepth { get; set; } = 64;

    /// <summary>
    /// Simple names of assemblies, beyond ML.NET's (<c>Microsoft.ML</c>, <c>Microsoft.ML.*</c>) and MLNetBackprop's,
    /// whose components a model file may name as its loaders (e.g. your own custom transforms). Empty by default.
    /// </summary>
    public ICollection<string> AllowedAssemblies { get; } = new List<string>();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first limit that is not a positive number.</summary>
    internal void Validate()
    {
        if (MaxFileBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes, "MaxFileBytes must be ≥ 1.");
        if (MaxEntryBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxEntryBytes), MaxEntryBytes, "MaxEntryBytes must be ≥ 1.");
        if (MaxTotalBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxTotalBytes), MaxTotalBytes, "MaxTotalBytes must be ≥ 1.");
        if (!(MaxCompressionRatio >= 1)) throw new ArgumentOutOfRangeException(nameof(MaxCompressionRatio), MaxCompressionRatio, "MaxCompressionRatio must be ≥ 1 (or +∞ for no check).");
        if (MaxEntries < 1) throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, "MaxEntries must be ≥ 1.");
        if (MaxNestingDepth < 1) throw new ArgumentOutOfRangeException(nameof(MaxNestingDepth), MaxNestingDepth, "MaxNestingDepth must be ≥ 1.");
        foreach (var name in AllowedAssemblies)
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("AllowedAssemblies holds an empty name.", nameof(AllowedAssemblies));
    }
}
