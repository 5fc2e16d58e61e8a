using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Inspects a model.zip held in memory before ML.NET touches it (<see cref="Microsoft.ML.CheckedModelLoad"/>): the zip's entries
/// against <see cref="ModelLoadLimits"/> — count, names, nesting depth, declared and actual inflated sizes, compression
/// ratio, CRC — and the header of every <c>Model.key</c> entry: ML.NET's model signature, the loader assembly it names
/// (ML.NET's, ours or explicitly allowed, and present) and the loader signature (ours must be one we register; none may
/// be one that only an untrusted loaded assembly declares). Everything is read from bytes; nothing a file names is
/// loaded except an allowed assembly by its simple name.
/// </summary>
internal static class ModelFileInspector
{
    // ML.NET's model header (Microsoft.ML.ModelHeader, 256 bytes): the fields read here and their offsets.
    private const ulong HeaderSignature = 0x4C45444F4D004C4DUL; // "ML\0MODEL"
    private const int HeaderSize = 0x100;
    private const int VersionWrittenOffset = 0x08;
    private const int LoaderSignatureOffset = 0x50, LoaderSignatureAltOffset = 0x68, SignatureBytes = 24;
    private const int AssemblyNameOffsetField = 0x90, AssemblyNameLengthField = 0x98;
    private const uint VersionWithAssemblyName = 0x00010002;
    private const int MaxAssemblyNameBytes = 8192;
    private const long RatioFloorBytes = 1 << 20;
    private const string ModelEntryName = "Model.key";

    private static readonly string[] OurAssemblies = ["MLNetBackprop.Trainers", "MLNetBackprop.Transforms"];

    /// <summary>The loader signatures MLNetBackprop registers (its components declare no attributes).</summary>
    private static readonly HashSet<string> OurLoadNames = new(
        new[]
        {
            MlpMulticlassPredictionTransformer.ModelIdentity.LoaderSignature,
            MlpBinaryPredictionTransformer.ModelIdentity.LoaderSignature,
            MlpRegressionPredictionTransformer.ModelIdentity.LoaderSignature,
            BatchNormalizingTransformer.Identity.LoaderSignature,
        }.Select(s => s.ToLowerInvariant()),
        StringComparer.Ordinal);

    /// <summary>Throws <see cref="InvalidDataException"/> naming the entry and the limit or rule it breaks.</summary>
    /// <param name="file">The whole model file.</param>
    /// <param name="limits">What to accept.</param>
    /// <param name="source">The file's name for messages.</param>
    public static void Inspect(byte[] file, ModelLoadLimits limits, string source)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source} is not a model file: it is not a valid zip archive ({e.Message})", e);
        }
        using (zip)
        {
            var entries = zip.Entries;
            if (entries.Count > limits.MaxEntries)
                throw new InvalidDataException($"{source} holds {entries.Count:N0} entries, more than ModelLoadLimits.MaxEntries = {limits.MaxEntries:N0}.");

            // Everything the central directory declares is checked before a single byte is inflated.
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            long declaredTotal = 0;
            foreach (var entry in entries)
            {
                string name = entry.FullName;
                CheckName(name, limits, source);
                if (!seen.Add(name.Replace('\\', '/')))
                    throw new InvalidDataException($"{source}: entry '{name}' appears twice.");
                if (entry.Length > limits.MaxEntryBytes)
                    throw new InvalidDataException($"{source}: entry '{name}' declares {entry.Length:N0} bytes inflated, more than ModelLoadLimits.MaxEntryBytes = {limits.MaxEntryBytes:N0}.");
                declaredTotal += entry.Length;
                if (declaredTotal > limits.MaxTotalBytes)
                    throw new InvalidDataException($"{source}: its entries declare more than ModelLoadLimits.MaxTotalBytes = {limits.MaxTotalBytes:N0} bytes inflated.");
                CheckRatio(name, entry.Length, entry.CompressedLength, limits, source);
            }

            // Then each entry is inflated once, counting, and stopped at the first byte beyond what it declared.
            foreach (var entry in entries)
                InflateAndCheck(entry, limits, source);
        }
    }

    private static void CheckName(string name, ModelLoadLimits limits, string source)
    {
        if (name.Length == 0 || Path.IsPathRooted(name) || name.StartsWith('/') || name.StartsWith('\\'))
            throw new InvalidDataException($"{source}: entry name '{name}' is empty or absolute.");
        var parts = name.Split('/', '\\');
        if (parts.Any(p => p == ".."))
            throw new InvalidDataException($"{source}: entry name '{name}' climbs out of the archive ('..').");
        int depth = parts.Length - 1;
        if (depth > limits.MaxNestingDepth)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' is nested {depth} folders deep, more than ModelLoadLimits.MaxNestingDepth = {limits.MaxNestingDepth} " +
                "(each nested transformer chain is one level, and ML.NET's loader recurses once per level).");
    }

    private static void CheckRatio(string name, long inflated, long compressed, ModelLoadLimits limits, string source)
    {
        if (inflated <= RatioFloorBytes) return;
        double ratio = inflated / (double)Math.Max(1, compressed);
        if (ratio > limits.MaxCompressionRatio)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' inflates {compressed:N0} bytes to {inflated:N0} ({ratio.ToString("F0", CultureInfo.InvariantCulture)}×), " +
                $"more than ModelLoadLimits.MaxCompressionRatio = {limits.MaxCompressionRatio.ToString(CultureInfo.InvariantCulture)}: a zip bomb, or a model that is mostly zeros.");
    }

    private static void InflateAndCheck(ZipArchiveEntry entry, ModelLoadLimits limits, string source)
    {
        string name = entry.FullName;
        bool isModel = Path.GetFileName(name.Replace('\\', '/')) == ModelEntryName;
        long declared = entry.Length, count = 0;
        var header = isModel ? new byte[HeaderSize] : null;
        byte[]? assemblyName = null;
        long assemblyAt = -1;
        uint crc = 0;
        var buffer = new byte[1 << 16];
        try
        {
            using var stream = entry.Open();
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (count + n > declared)
                    throw new InvalidDataException($"{source}: entry '{Shorten(name)}' inflates beyond the {declared:N0} bytes it declares.");
                var chunk = buffer.AsSpan(0, n);
                if (header is not null && count < HeaderSize)
                {
                    int take = (int)Math.Min(HeaderSize - count, n);
                    chunk[..take].CopyTo(header.AsSpan((int)count));
                    if (count + take == HeaderSize) (assemblyAt, assemblyName) = AssemblyNameLocation(header, declared, name, source);
                }
                if (assemblyName is not null) CopyOverlap(chunk, count, assemblyAt, assemblyName);
                crc = Crc32.Append(crc, chunk);
                count += n;
            }
        }
        catch (Exception e) when (e is IOException || (e is InvalidDataException && !e.Message.StartsWith(source, StringComparison.Ordinal)))
        {
            // Inflating failed (a bad deflate stream, a CRC mismatch, sizes that do not add up).
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' is corrupt ({e.Message})", e);
        }
        if (count != declared)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' inflates to {count:N0} bytes but declares {declared:N0}.");
        // The reader stops at the declared size, so a lowered size would cut the entry silently: its CRC-32 tells.
        if (crc != entry.Crc32)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' does not match its CRC-32 (its declared size or its contents were changed).");
        if (header is null) return;
        if (count < HeaderSize)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' has {count} bytes, fewer than ML.NET's {HeaderSize}-byte model header.");
        CheckLoader(name, header, assemblyName, limits, source);
    }

    /// <summary>Where the loader assembly name lies in the entry and a buffer for it (null when the header names none).</summary>
    private static (long At, byte[]? Bytes) AssemblyNameLocation(byte[] header, long entryLength, string name, string source)
    {
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != HeaderSignature)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' does not start with ML.NET's model header signature.");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(VersionWrittenOffset));
        if (version < VersionWithAssemblyName) return (-1, null);
        long at = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(AssemblyNameOffsetField));
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(AssemblyNameLengthField));
        if (at == 0 && length == 0) return (-1, null);
        if (length % 2 != 0 || length > MaxAssemblyNameBytes || at < HeaderSize || at > entryLength - length)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' has a loader assembly name of {length} bytes at {at}, outside the entry or implausible.");
        return (at, new byte[length]);
    }

    /// <summary>Copies the part of <paramref name="chunk"/> (starting at entry offset <paramref name="chunkAt"/>) that falls in the target range.</summary>
    private static void CopyOverlap(ReadOnlySpan<byte> chunk, long chunkAt, long targetAt, byte[] target)
    {
        long from = Math.Max(chunkAt, targetAt), to = Math.Min(chunkAt + chunk.Length, targetAt + target.Length);
        if (from < to) chunk[(int)(from - chunkAt)..(int)(to - chunkAt)].CopyTo(target.AsSpan((int)(from - targetAt)));
    }

    private static void CheckLoader(string name, byte[] header, byte[]? assemblyNameBytes, ModelLoadLimits limits, string source)
    {
        string signature = Signature(header, LoaderSignatureOffset), alternative = Signature(header, LoaderSignatureAltOffset);
        if (signature.Length == 0)
            throw new InvalidDataException($"{source}: entry '{Shorten(name)}' names no loader.");
        string entry = $"{source}: entry '{Shorten(name)}'";
        if (assemblyNameBytes is null)
        {
            // Written before ML.NET recorded loader assemblies: nothing is loaded by name, only the catalog is asked.
            CheckNotForeign(entry, signature, alternative, limits);
            return;
        }
        string assemblyName = Encoding.Unicode.GetString(assemblyNameBytes);
        string simple;
        try
        {
            simple = new AssemblyName(assemblyName).Name ?? "";
        }
        catch (Exception e) when (e is ArgumentException or FileLoadException)
        {
            throw new InvalidDataException($"{entry} names loader assembly '{Printable(assemblyName)}', which is not a valid assembly name.");
        }
        simple = Forwarded(simple);
        bool userAllowed = limits.AllowedAssemblies.Contains(simple, StringComparer.OrdinalIgnoreCase);
        if (!IsMLNet(simple) && !IsOurs(simple) && !userAllowed)
            throw new InvalidDataException($"{entry} names loader assembly '{Printable(assemblyName)}', which is neither ML.NET's nor MLNetBackprop's " +
                "nor in ModelLoadLimits.AllowedAssemblies: refused without loading it.");
        var assembly = Find(simple)
            ?? throw new InvalidDataException($"{entry} names loader assembly '{Printable(simple)}', which is not present in this application (add its package, or it is not a genuine model file).");
        // ML.NET writes some entries (a vocabulary, a calibrator's parameters…) with signatures that their parent reads
        // itself rather than looking them up, so an ML.NET signature need not be declared; ours are all known.
        if (IsOurs(simple) && !OurLoadNames.Contains(signature.ToLowerInvariant()))
            throw new InvalidDataException($"{entry} names loader '{signature}', which {simple} does not declare.");
        CheckNotForeign(entry, signature, alternative, limits);
    }

    /// <summary>
    /// Refuses a signature that an untrusted loaded assembly declares (and no trusted one does): ML.NET's catalog would
    /// resolve it to that assembly's component. Signatures declared nowhere cannot instantiate anything.
    /// </summary>
    private static void CheckNotForeign(string entry, string signature, string alternative, ModelLoadLimits limits)
    {
        foreach (string sig in new[] { signature, alternative })
        {
            if (sig.Length == 0) continue;
            string key = sig.ToLowerInvariant();
            if (OurLoadNames.Contains(key) || LoadedTrustedAssemblies(limits).Any(a => !IsOurs(a.GetName().Name!) && MLNetBridge.DeclaredLoadNames(a).Contains(key))) continue;
            var foreign = AppDomain.CurrentDomain.GetAssemblies()
                .Where(a => !a.IsDynamic && !IsTrusted(a.GetName().Name ?? "", limits))
                .FirstOrDefault(a => MLNetBridge.DeclaredLoadNames(a).Contains(key));
            if (foreign is not null)
                throw new InvalidDataException($"{entry} names loader '{sig}', which only {foreign.GetName().Name} declares — neither ML.NET's nor MLNetBackprop's nor in ModelLoadLimits.AllowedAssemblies.");
        }
    }

    private static bool IsTrusted(string simple, ModelLoadLimits limits) =>
        IsMLNet(simple) || IsOurs(simple) || limits.AllowedAssemblies.Contains(simple, StringComparer.OrdinalIgnoreCase);

    private static IEnumerable<Assembly> LoadedTrustedAssemblies(ModelLoadLimits limits) =>
        AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.GetName().Name is { } n && IsTrusted(n, limits));

    /// <summary>An assembly already loaded, or an allowed one loaded by its simple name; null when it is not present.</summary>
    private static Assembly? Find(string simple)
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => string.Equals(a.GetName().Name, simple, StringComparison.OrdinalIgnoreCase));
        if (loaded is not null) return loaded;
        try
        {
            return Assembly.Load(new AssemblyName(simple));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }

    private static bool IsMLNet(string simple) =>
        simple.Equals("Microsoft.ML", StringComparison.OrdinalIgnoreCase) || simple.StartsWith("Microsoft.ML.", StringComparison.OrdinalIgnoreCase);

    private static bool IsOurs(string simple) => OurAssemblies.Contains(simple, StringComparer.OrdinalIgnoreCase);

    /// <summary>ML.NET's own renames of loader assemblies (ModelLoadContext.ForwardedLoaderAssemblyName).</summary>
    private static string Forwarded(string simple) => simple switch
    {
        "Microsoft.ML.HalLearners" => "Microsoft.ML.Mkl.Components",
        "Microsoft.ML.StandardLearners" => "Microsoft.ML.StandardTrainers",
        _ => simple,
    };

    /// <summary>ML.NET's packing: 24 ASCII characters in three little-endian ulongs, zero-padded.</summary>
    private static string Signature(byte[] header, int offset)
    {
        var bytes = header.AsSpan(offset, SignatureBytes);
        int length = SignatureBytes;
        while (length > 0 && bytes[length - 1] == 0) length--;
        var chars = new char[length];
        for (int i = 0; i < length; i++) chars[i] = (char)bytes[i];
        return Printable(new string(chars));
    }

    private static string Printable(string text) =>
        new(text.Select(c => char.IsControl(c) ? '?' : c).Take(200).ToArray());

    private static string Shorten(string name) => name.Length <= 120 ? name : name[..60] + "…" + name[^50..];
}
