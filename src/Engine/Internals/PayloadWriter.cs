using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MLNetBackprop.Internals;

/// <summary>
/// Builds a model payload in MLNetBackprop's own versioned binary layout (read back by <see cref="PayloadReader"/>).
/// </summary>
/// <remarks>
/// <para>Frame layout (all integers little-endian):</para>
/// <code>
/// offset  size  field
/// 0       4     magic "MNBP" (0x4D 0x4E 0x42 0x50)
/// 4       4     int32  frame format version (currently 1)
/// 8       4     int32  kind length k in bytes, 1..64
/// 12      k     kind, UTF-8 (e.g. "BatchNorm"); identifies the component that wrote the body
/// 12+k    4     int32  component body version (owned by the component, ≥ 0)
/// 16+k    8     int64  body length n, 0..<see cref="PayloadReader.MaxBodyBytes"/>
/// 24+k    n     body
/// 24+k+n  32    SHA-256 of bytes [0, 24+k+n), i.e. of everything above
/// </code>
/// <para>Body primitives: int32/int64 little-endian; Single/Double IEEE-754 little-endian bit patterns (NaN payloads kept);
/// Boolean one byte 0 or 1; string = int32 byte length (≥ 0) + UTF-8 bytes; arrays have no implicit count —
/// the component writes the count as its own field first.</para>
/// <para>The reader verifies the length against the bytes present and the SHA-256 before parsing, so any flipped
/// bit or truncation is reported as <see cref="InvalidDataException"/>.</para>
/// </remarks>
internal sealed class PayloadWriter
{
    /// <summary>Frame magic, "MNBP".</summary>
    public static ReadOnlySpan<byte> Magic => "MNBP"u8;

    /// <summary>Version of the frame layout described in the remarks.</summary>
    public const int FrameVersion = 1;

    private readonly MemoryStream _body = new();
    private readonly byte[] _scratch = new byte[8];

    /// <summary>Starts a payload for component <paramref name="kind"/> with body version <paramref name="bodyVersion"/>.</summary>
    public PayloadWriter(string kind, int bodyVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        int k = Encoding.UTF8.GetByteCount(kind);
        if (k > PayloadReader.MaxKindBytes)
            throw new ArgumentException($"Payload kind '{kind}' is longer than {PayloadReader.MaxKindBytes} UTF-8 bytes.", nameof(kind));
        ArgumentOutOfRangeException.ThrowIfNegative(bodyVersion);
        Kind = kind;
        BodyVersion = bodyVersion;
    }

    /// <summary>Component kind written in the header.</summary>
    public string Kind { get; }

    /// <summary>Component body version written in the header.</summary>
    public int BodyVersion { get; }

    /// <summary>Appends an int32.</summary>
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_scratch, value);
        _body.Write(_scratch, 0, 4);
    }

    /// <summary>Appends an int64.</summary>
    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_scratch, value);
        _body.Write(_scratch, 0, 8);
    }

    /// <summary>Appends a Single (bit pattern).</summary>
    public void WriteSingle(float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(_scratch, value);
        _body.Write(_scratch, 0, 4);
    }

    /// <summary>Appends a Double (bit pattern).</summary>
    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(_scratch, value);
        _body.Write(_scratch, 0, 8);
    }

    /// <summary>Appends the values, without a count (write the count as its own field first).</summary>
    public void WriteSingles(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian) _body.Write(MemoryMarshal.AsBytes(values)); // the layout is little-endian: one copy
        else
            foreach (float v in values)
                WriteSingle(v);
    }

    /// <summary>Appends the values, without a count (write the count as its own field first).</summary>
    public void WriteDoubles(ReadOnlySpan<double> values)
    {
        if (BitConverter.IsLittleEndian) _body.Write(MemoryMarshal.AsBytes(values));
        else
            foreach (double v in values)
                WriteDouble(v);
    }

    /// <summary>Appends a Boolean as one byte, 0 or 1.</summary>
    public void WriteBoolean(bool value) => _body.WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Appends a string as int32 UTF-8 byte length + bytes.</summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        WriteInt32(bytes.Length);
        _body.Write(bytes);
    }

    /// <summary>Returns the complete frame (header, body, SHA-256).</summary>
    public byte[] ToArray()
    {
        byte[] kind = Encoding.UTF8.GetBytes(Kind);
        long n = _body.Length;
        if (n > PayloadReader.MaxBodyBytes)
            throw new InvalidOperationException($"{Kind} payload body is {n} bytes, more than the {PayloadReader.MaxBodyBytes} the reader accepts.");
        int headerLen = 4 + 4 + 4 + kind.Length + 4 + 8;
        var frame = new byte[headerLen + n + PayloadReader.ChecksumBytes];
        var span = frame.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], FrameVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], kind.Length);
        kind.CopyTo(span[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[(12 + kind.Length)..], BodyVersion);
        BinaryPrimitives.WriteInt64LittleEndian(span[(16 + kind.Length)..], n);
        _body.GetBuffer().AsSpan(0, (int)n).CopyTo(span[headerLen..]);
        SHA256.HashData(span[..(headerLen + (int)n)], span[(headerLen + (int)n)..]);
        return frame;
    }

    /// <summary>Writes the complete frame to <paramref name="writer"/> (e.g. ML.NET's model writer).</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(ToArray());
    }
}
