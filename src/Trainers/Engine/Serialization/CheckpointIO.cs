using MLNetBackprop.Internals;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MLNetBackprop.Engine;

/// <summary>
/// The framing of a checkpoint file — magic, format version, body length, SHA-256 of the body, body —
/// and an atomic write (<see cref="AtomicFile"/>): a crash mid-write leaves the previous file intact.
/// </summary>
internal static class CheckpointFile
{
    /// <summary>The first 8 bytes of every checkpoint.</summary>
    public static ReadOnlySpan<byte> Magic => "MLNBPCKP"u8;

    /// <summary>Magic + version (int32) + body length (int64) + SHA-256.</summary>
    public const int HeaderLength = 8 + 4 + 8 + 32;

    /// <summary>Prepends the header to <paramref name="body"/>.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> body, int version)
    {
        var file = new byte[HeaderLength + body.Length];
        Magic.CopyTo(file);
        BitConverter.TryWriteBytes(file.AsSpan(8, 4), version);
        BitConverter.TryWriteBytes(file.AsSpan(12, 8), (long)body.Length);
        SHA256.HashData(body, file.AsSpan(20, 32));
        body.CopyTo(file.AsSpan(HeaderLength));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Checkpoints are written on little-endian machines only.");
        return file;
    }

    /// <summary>Checks the header and the hash and returns the body and its format version.</summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, an unknown version, truncated or corrupted.</exception>
    public static (byte[] Body, int Version) Unframe(byte[] file, int maxVersion)
    {
        if (file.Length < HeaderLength)
            throw new InvalidDataException($"Not a checkpoint: the file has {file.Length} bytes, fewer than the {HeaderLength}-byte header.");
        if (!file.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException("Not a checkpoint: the magic bytes are wrong.");
        int version = BitConverter.ToInt32(file, 8);
        if (version < 1 || version > maxVersion)
            throw new InvalidDataException($"Checkpoint format version {version} is not supported (this build reads versions 1 to {maxVersion}).");
        long length = BitConverter.ToInt64(file, 12);
        if (length != file.Length - HeaderLength)
            throw new InvalidDataException($"The checkpoint's body length says {length} bytes but {file.Length - HeaderLength} are present: the file is truncated or corrupted.");
        var body = file.AsSpan(HeaderLength).ToArray();
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        if (!hash.SequenceEqual(file.AsSpan(20, 32)))
            throw new InvalidDataException("The checkpoint's SHA-256 does not match its body: the file is corrupted.");
        return (body, version);
    }

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> atomically (<see cref="AtomicFile"/>), creating its folder.</summary>
    public static void WriteAtomically(string path, byte[] contents)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        AtomicFile.Write(path, contents);
    }
}

/// <summary>Writes checkpoint fields (little-endian, length-prefixed arrays).</summary>
internal sealed class CheckpointWriter
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _writer;

    public CheckpointWriter() => _writer = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);

    public void Write(int value) => _writer.Write(value);
    public void Write(long value) => _writer.Write(value);
    public void Write(float value) => _writer.Write(value);
    public void Write(double value) => _writer.Write(value);
    public void Write(bool value) => _writer.Write(value);
    public void Write(string value) => _writer.Write(value);

    public void Write(ReadOnlySpan<float> values)
    {
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    public void Write(ReadOnlySpan<double> values)
    {
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    public void Write(ReadOnlySpan<int> values)
    {
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    public void Write(IReadOnlyList<float[]> buffers)
    {
        _writer.Write(buffers.Count);
        foreach (var b in buffers) Write(b);
    }

    public byte[] ToArray()
    {
        _writer.Flush();
        return _stream.ToArray();
    }
}

/// <summary>
/// Reads checkpoint fields. Every read checks that the bytes are there and every array length that
/// it is plausible, and throws <see cref="InvalidDataException"/> naming the field otherwise.
/// </summary>
internal sealed class CheckpointReader(byte[] body)
{
    private int _position;

    public int Remaining => body.Length - _position;

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count < 0 || count > Remaining)
            throw new InvalidDataException($"Checkpoint field '{field}' needs {count} bytes at offset {_position}; only {Remaining} remain.");
        var span = body.AsSpan(_position, count);
        _position += count;
        return span;
    }

    public int Int32(string field) => BitConverter.ToInt32(Take(4, field));
    public long Int64(string field) => BitConverter.ToInt64(Take(8, field));
    public float Single(string field) => BitConverter.ToSingle(Take(4, field));
    public double Double(string field) => BitConverter.ToDouble(Take(8, field));

    public bool Boolean(string field) => Take(1, field)[0] switch
    {
        0 => false,
        1 => true,
        var b => throw new InvalidDataException($"Checkpoint field '{field}' should be a boolean (0 or 1); found {b}."),
    };

    public string String(string field)
    {
        // BinaryWriter's 7-bit encoded length prefix.
        int length = 0, shift = 0;
        byte b;
        do
        {
            if (shift > 28) throw new InvalidDataException($"Checkpoint field '{field}' has a malformed string length.");
            b = Take(1, field)[0];
            length |= (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return Encoding.UTF8.GetString(Take(length, field));
    }

    /// <summary>An element count, checked against the bytes left (each element at least <paramref name="minBytesEach"/>) and an optional expected value.</summary>
    public int Count(string field, int minBytesEach, int? expected = null)
    {
        int count = Int32(field + " (count)");
        if (count < 0 || (long)count * minBytesEach > Remaining)
            throw new InvalidDataException($"Checkpoint field '{field}' claims {count} elements; only {Remaining} bytes remain.");
        if (expected is { } e && count != e)
            throw new InvalidDataException($"Checkpoint field '{field}' has {count} elements; expected {e}.");
        return count;
    }

    public float[] Singles(string field, int? expected = null)
    {
        int count = Count(field, sizeof(float), expected);
        return MemoryMarshal.Cast<byte, float>(Take(count * sizeof(float), field)).ToArray();
    }

    public double[] Doubles(string field, int? expected = null)
    {
        int count = Count(field, sizeof(double), expected);
        return MemoryMarshal.Cast<byte, double>(Take(count * sizeof(double), field)).ToArray();
    }

    public int[] Int32s(string field, int? expected = null)
    {
        int count = Count(field, sizeof(int), expected);
        return MemoryMarshal.Cast<byte, int>(Take(count * sizeof(int), field)).ToArray();
    }

    public float[][] Buffers(string field)
    {
        int count = Count(field, sizeof(int));
        var buffers = new float[count][];
        for (int i = 0; i < count; i++) buffers[i] = Singles($"{field}[{i}]");
        return buffers;
    }

    public void End()
    {
        if (Remaining != 0) throw new InvalidDataException($"The checkpoint has {Remaining} unexpected bytes after its last field.");
    }
}
