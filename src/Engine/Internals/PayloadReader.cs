using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MLNetBackprop.Internals;

/// <summary>
/// Reads a payload written by <see cref="PayloadWriter"/> (layout documented there), defensively: the frame is
/// length-checked against the bytes present and its SHA-256 verified before any field is parsed; every field read
/// names itself and its bounds. All failures throw <see cref="InvalidDataException"/> with a message such as
/// <c>BatchNorm payload: 'slot count' = -5 is out of range [1, 16777216]</c>. Never allocates more than the bytes
/// actually present, and costs about the payload's size: over a seekable stream (ML.NET hands loaders a file or memory
/// stream) the body is hashed in a first streaming pass and parsed in a second straight from the stream, so values go
/// directly into their final arrays (<see cref="ReadSingles(string, Span{float})"/>) and no copy of the body is held.
/// </summary>
internal sealed class PayloadReader
{
    /// <summary>Largest body accepted.</summary>
    public const long MaxBodyBytes = 0x7FFF_0000; // just under Array.MaxLength
    /// <summary>Largest kind string accepted, in UTF-8 bytes.</summary>
    public const int MaxKindBytes = 64;
    /// <summary>Size of the trailing SHA-256.</summary>
    public const int ChecksumBytes = 32;

    private readonly Stream _body;
    private readonly long _bodyLength;
    private readonly long _frameEnd;
    private long _pos;
    private byte[] _scratch = new byte[256];

    // body: positioned at the body's first byte, seekable; frameEnd: the position just past the checksum.
    private PayloadReader(string kind, int bodyVersion, Stream body, long bodyLength, long frameEnd)
    {
        Kind = kind;
        BodyVersion = bodyVersion;
        _body = body;
        _bodyLength = bodyLength;
        _frameEnd = frameEnd;
    }

    /// <summary>Component kind from the header (already checked against the expected kind).</summary>
    public string Kind { get; }

    /// <summary>Component body version from the header (already checked against the accepted range).</summary>
    public int BodyVersion { get; }

    /// <summary>Body bytes not read yet.</summary>
    public long Remaining => _bodyLength - _pos;

    /// <summary>Parses a complete frame held in memory.</summary>
    public static PayloadReader FromBytes(byte[] frame, string expectedKind, int minBodyVersion, int maxBodyVersion)
    {
        ArgumentNullException.ThrowIfNull(frame);
        // The reader parses from this stream after returning: it is not disposed (it holds no resource but the array).
        var ms = new MemoryStream(frame, writable: false);
        using var br = new BinaryReader(ms, Encoding.UTF8, leaveOpen: true);
        var r = ReadFrom(br, expectedKind, minBodyVersion, maxBodyVersion);
        if (r._frameEnd != ms.Length)
            throw new InvalidDataException($"{expectedKind} payload: {ms.Length - r._frameEnd} unexpected bytes after the checksum.");
        return r;
    }

    /// <summary>
    /// Reads one frame's header from <paramref name="reader"/>, verifies the body's SHA-256 and returns a reader over the
    /// body. The stream is left at the body's start while it is parsed; <see cref="EnsureEnd"/> moves it past the
    /// checksum, so a parse that ends with it has consumed exactly the frame's bytes.
    /// </summary>
    /// <param name="reader">Source, e.g. ML.NET's model reader from MLNetBridge.GetReader (Transforms).</param>
    /// <param name="expectedKind">Kind the caller expects; a different kind is an error.</param>
    /// <param name="minBodyVersion">Oldest body version the caller can parse.</param>
    /// <param name="maxBodyVersion">Newest body version the caller can parse.</param>
    public static PayloadReader ReadFrom(BinaryReader reader, string expectedKind, int minBodyVersion, int maxBodyVersion)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(expectedKind);
        string p = expectedKind + " payload";
        Stream s = reader.BaseStream;

        using var header = new MemoryStream();
        byte[] magic = ReadExactly(reader, 4, p, "magic", header);
        if (!magic.AsSpan().SequenceEqual(PayloadWriter.Magic))
            throw new InvalidDataException($"{p}: bad magic {Convert.ToHexString(magic)} (expected {Convert.ToHexString(PayloadWriter.Magic)}); this is not an MLNetBackprop payload or it is corrupt.");
        int frameVersion = BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(reader, 4, p, "frame version", header));
        if (frameVersion != PayloadWriter.FrameVersion)
            throw new InvalidDataException($"{p}: 'frame version' = {frameVersion} is not supported (this build reads {PayloadWriter.FrameVersion}).");
        int kindLen = BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(reader, 4, p, "kind length", header));
        if (kindLen < 1 || kindLen > MaxKindBytes)
            throw OutOfRange(p, "kind length", kindLen, 1, MaxKindBytes);
        byte[] kindBytes = ReadExactly(reader, kindLen, p, "kind", header);
        int bodyVersion = BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(reader, 4, p, "body version", header));
        long bodyLen = BinaryPrimitives.ReadInt64LittleEndian(ReadExactly(reader, 8, p, "body length", header));
        if (bodyLen < 0 || bodyLen > MaxBodyBytes)
            throw OutOfRange(p, "body length", bodyLen, 0, MaxBodyBytes);
        if (s.CanSeek)
        {
            long remaining = s.Length - s.Position;
            if (bodyLen + ChecksumBytes > remaining)
                throw new InvalidDataException($"{p}: 'body length' = {bodyLen} but only {remaining} bytes remain for body and checksum (truncated or corrupt).");
        }
        // A stream that cannot seek is copied into memory (in chunks, so only bytes present are held); then one path.
        Stream source = s;
        if (!s.CanSeek)
        {
            byte[] copy = ReadExactly(reader, bodyLen + ChecksumBytes, p, "body", null);
            source = new MemoryStream(copy, writable: false);
        }
        long bodyStart = source.Position;

        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            sha.AppendData(header.GetBuffer(), 0, (int)header.Length);
            HashBody(source, bodyLen, sha, p);
            byte[] checksum = new byte[ChecksumBytes];
            int got = source.ReadAtLeast(checksum, ChecksumBytes, throwOnEndOfStream: false);
            if (got != ChecksumBytes) throw Truncated(p, "checksum", ChecksumBytes, got);
            byte[] actual = sha.GetHashAndReset();
            if (!CryptographicOperations.FixedTimeEquals(actual, checksum))
                throw new InvalidDataException($"{p}: checksum mismatch (stored SHA-256 {Convert.ToHexString(checksum)[..16]}…, computed {Convert.ToHexString(actual)[..16]}…); the model file is corrupt.");
        }
        long frameEnd = source.Position;

        string kind;
        try
        {
            kind = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(kindBytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{p}: 'kind' is not valid UTF-8.");
        }
        if (kind != expectedKind)
            throw new InvalidDataException($"{p}: 'kind' = '{kind}' but '{expectedKind}' was expected.");
        if (bodyVersion < minBodyVersion || bodyVersion > maxBodyVersion)
            throw new InvalidDataException($"{p}: 'body version' = {bodyVersion} is not supported by this build (reads [{minBodyVersion}, {maxBodyVersion}]).");
        source.Position = bodyStart;
        return new PayloadReader(kind, bodyVersion, source, bodyLen, frameEnd);
    }

    /// <summary>First pass: hashes <paramref name="length"/> body bytes through a pooled 1 MiB buffer.</summary>
    private static void HashBody(Stream source, long length, IncrementalHash sha, string p)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(length, 1 << 20) + 1);
        try
        {
            long left = length;
            while (left > 0)
            {
                int n = source.Read(buffer, 0, (int)Math.Min(left, buffer.Length));
                if (n == 0) throw Truncated(p, "body", length, length - left);
                sha.AppendData(buffer, 0, n);
                left -= n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes, in chunks so a huge claimed length cannot allocate more than is present.</summary>
    private static byte[] ReadExactly(BinaryReader reader, long count, string p, string what, MemoryStream? copyTo)
    {
        const int Chunk = 1 << 20;
        byte[] result;
        if (count <= Chunk)
        {
            result = reader.ReadBytes((int)count);
            if (result.Length != count)
                throw Truncated(p, what, count, result.Length);
        }
        else
        {
            using var acc = new MemoryStream();
            long left = count;
            while (left > 0)
            {
                byte[] part = reader.ReadBytes((int)Math.Min(left, Chunk));
                acc.Write(part);
                left -= part.Length;
                if (part.Length == 0)
                    throw Truncated(p, what, count, acc.Length);
            }
            result = acc.ToArray();
        }
        copyTo?.Write(result);
        return result;
    }

    private static InvalidDataException Truncated(string p, string what, long need, long got) =>
        new($"{p}: '{what}' needs {need} bytes but only {got} were present (truncated).");

    private static InvalidDataException OutOfRange<T>(string p, string what, T value, T min, T max) where T : IFormattable =>
        new($"{p}: '{what}' = {Fmt(value)} is out of range [{Fmt(min)}, {Fmt(max)}]");

    private static string Fmt<T>(T v) where T : IFormattable => v.ToString(null, CultureInfo.InvariantCulture);

    private string P => Kind + " payload";

    /// <summary>
    /// Throws unless <paramref name="bytes"/> (≥ 0) body bytes remain: call before allocating anything sized by a count
    /// read from the file, with the least number of bytes the counted items can take.
    /// </summary>
    /// <param name="what">Field name for the message.</param>
    /// <param name="bytes">Bytes the field needs at least.</param>
    /// <param name="count">The count read from the file, for the message.</param>
    public void Require(string what, long bytes, long count)
    {
        if (count < 0 || bytes < 0)
            throw new InvalidDataException($"{P}: '{what}' has a negative count ({count.ToString(CultureInfo.InvariantCulture)}).");
        if (bytes > Remaining)
            throw new InvalidDataException($"{P}: '{what}' claims {count.ToString(CultureInfo.InvariantCulture)} items ({bytes.ToString(CultureInfo.InvariantCulture)} bytes at least) but only {Remaining} bytes remain in the body.");
    }

    /// <summary>The next <paramref name="bytes"/> body bytes (a view of a scratch buffer, valid until the next read).</summary>
    private ReadOnlySpan<byte> Take(string what, int bytes)
    {
        if (bytes < 0 || bytes > Remaining)
            throw new InvalidDataException($"{P}: '{what}' needs {bytes} bytes but only {Remaining} remain in the body.");
        if (_scratch.Length < bytes) _scratch = new byte[Math.Max(bytes, 2 * _scratch.Length)];
        var span = _scratch.AsSpan(0, bytes);
        Fill(what, span);
        return span;
    }

    /// <summary>Reads exactly <paramref name="destination"/>'s length of body bytes into it (the caller checked they remain).</summary>
    private void Fill(string what, Span<byte> destination)
    {
        int got = _body.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (got != destination.Length)
            throw new InvalidDataException($"{P}: '{what}' needs {destination.Length} bytes but the stream ended after {got} (it changed after it was verified).");
        _pos += got;
    }

    /// <summary>Reads an int32 in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int ReadInt32(string what, int min, int max)
    {
        int v = BinaryPrimitives.ReadInt32LittleEndian(Take(what, 4));
        if (v < min || v > max)
            throw OutOfRange(P, what, v, min, max);
        return v;
    }

    /// <summary>Reads an int64 in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long ReadInt64(string what, long min, long max)
    {
        long v = BinaryPrimitives.ReadInt64LittleEndian(Take(what, 8));
        if (v < min || v > max)
            throw OutOfRange(P, what, v, min, max);
        return v;
    }

    /// <summary>Reads a Single, any bit pattern (NaN and infinities included).</summary>
    public float ReadSingle(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(what, 4));

    /// <summary>Reads a Single in [<paramref name="min"/>, <paramref name="max"/>] (NaN is rejected).</summary>
    public float ReadSingle(string what, float min, float max)
    {
        float v = ReadSingle(what);
        if (!(v >= min && v <= max))
            throw OutOfRange(P, what, v, min, max);
        return v;
    }

    /// <summary>Reads a Double, any bit pattern.</summary>
    public double ReadDouble(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(what, 8));

    /// <summary>Reads a Double in [<paramref name="min"/>, <paramref name="max"/>] (NaN is rejected).</summary>
    public double ReadDouble(string what, double min, double max)
    {
        double v = ReadDouble(what);
        if (!(v >= min && v <= max))
            throw OutOfRange(P, what, v, min, max);
        return v;
    }

    /// <summary>Reads <paramref name="count"/> Singles; checks the bytes are present before allocating.</summary>
    public float[] ReadSingles(string what, int count)
    {
        Require(what, (long)count * 4, count);
        var result = new float[count];
        ReadSingles(what, result);
        return result;
    }

    /// <summary>Reads Singles straight into <paramref name="destination"/> (its whole length), with no intermediate copy.</summary>
    public void ReadSingles(string what, Span<float> destination)
    {
        Require(what, (long)destination.Length * 4, destination.Length);
        Fill(what, MemoryMarshal.AsBytes(destination));
        if (!BitConverter.IsLittleEndian)
        {
            var bits = MemoryMarshal.Cast<float, int>(destination);
            BinaryPrimitives.ReverseEndianness(bits, bits);
        }
    }

    /// <summary>Reads <paramref name="count"/> Doubles; checks the bytes are present before allocating.</summary>
    public double[] ReadDoubles(string what, int count)
    {
        Require(what, (long)count * 8, count);
        var result = new double[count];
        Fill(what, MemoryMarshal.AsBytes(result.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            var bits = MemoryMarshal.Cast<double, long>(result.AsSpan());
            BinaryPrimitives.ReverseEndianness(bits, bits);
        }
        return result;
    }

    /// <summary>Reads a Boolean byte, which must be 0 or 1.</summary>
    public bool ReadBoolean(string what)
    {
        byte b = Take(what, 1)[0];
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw new InvalidDataException($"{P}: '{what}' = {b} is not a Boolean (0 or 1)."),
        };
    }

    /// <summary>Reads a string of at most <paramref name="maxLength"/> UTF-8 bytes.</summary>
    public string ReadString(string what, int maxLength)
    {
        int len = ReadInt32(what + " length", 0, maxLength);
        var bytes = Take(what, len);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{P}: '{what}' is not valid UTF-8.");
        }
    }

    /// <summary>Throws if body bytes are left unread (a layout mismatch).</summary>
    public void EnsureEnd()
    {
        if (Remaining != 0)
            throw new InvalidDataException($"{P}: {Remaining} unread bytes at the end of the body (layout mismatch).");
        _body.Position = _frameEnd; // past the checksum, verified in the first pass
    }
}
