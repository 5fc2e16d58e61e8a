using MLNetBackprop.Internals;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MLNetBackprop.Engine;

/// <summary>
/// The framing of checkpoint files of format versions 1–3 — magic, format version, body length, SHA-256 of the body,
/// body — still read (version 4 is a payload frame, <see cref="PayloadWriter"/>), and the atomic write every checkpoint
/// takes (<see cref="AtomicFile"/>): a crash mid-write leaves the previous file intact.
/// </summary>
internal static class CheckpointFile
{
    /// <summary>The first 8 bytes of every checkpoint of versions 1–3.</summary>
    public static ReadOnlySpan<byte> Magic => "MLNBPCKP"u8;

    /// <summary>Magic + version (int32) + body length (int64) + SHA-256.</summary>
    public const int HeaderLength = 8 + 4 + 8 + 32;

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
            throw new InvalidDataException($"Checkpoint format version {version} is not supported in this framing (it holds versions 1 to {maxVersion}; later versions are payload frames).");
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

/// <summary>
/// Reads the fields of a checkpoint body of format versions 1–3 (<see cref="System.IO.BinaryWriter"/> encodings). Every read checks that the bytes are there and every array length that
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
