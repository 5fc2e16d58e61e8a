using System.Buffers.Binary;
using System.Text;

namespace MLNetBackprop.Onnx;

/// <summary>
/// The protocol-buffer wire format, as much of it as an ONNX file needs: a writer of tagged fields and a reader that
/// splits a message into its fields (kept as raw bytes, so a message can be re-emitted with a few fields changed).
/// Hand-written because ONNX's generated message classes are internal to ML.NET's converter.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _buffer.ToArray();

    /// <summary>Writes a varint field (int32, int64, enum, bool).</summary>
    public ProtoWriter Varint(int field, long value)
    {
        Tag(field, 0);
        RawVarint((ulong)value);
        return this;
    }

    /// <summary>Writes a fixed32 float field.</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        _buffer.Write(b);
        return this;
    }

    /// <summary>Writes a UTF-8 string field.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a length-delimited field (bytes or an embedded message).</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        RawVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>Writes an embedded message.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>Writes a packed repeated varint field.</summary>
    public ProtoWriter PackedVarints(int field, IEnumerable<long> values)
    {
        var packed = new ProtoWriter();
        foreach (long v in values) packed.RawVarint((ulong)v);
        return Bytes(field, packed.ToArray());
    }

    /// <summary>Writes a packed repeated float field.</summary>
    public ProtoWriter PackedFloats(int field, IReadOnlyList<float> values)
    {
        var bytes = new byte[values.Count * 4];
        for (int i = 0; i < values.Count; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return Bytes(field, bytes);
    }

    /// <summary>Copies a field read by <see cref="ProtoReader"/> unchanged.</summary>
    public ProtoWriter Raw(ProtoField field)
    {
        Tag(field.Number, field.WireType);
        if (field.WireType == 2) RawVarint((ulong)field.Data.Length);
        if (field.WireType == 0) RawVarint(field.Varint);
        else _buffer.Write(field.Data.Span);
        return this;
    }

    private void Tag(int field, int wireType) => RawVarint(((ulong)field << 3) | (uint)wireType);

    private void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}

/// <summary>One field of a message: its number, wire type, and value (a varint, or the raw bytes of the rest).</summary>
/// <param name="Number">The field number.</param>
/// <param name="WireType">0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.</param>
/// <param name="Varint">The value of a varint field.</param>
/// <param name="Data">The payload of a length-delimited field, or the 8/4 bytes of a fixed field.</param>
internal readonly record struct ProtoField(int Number, int WireType, ulong Varint, ReadOnlyMemory<byte> Data)
{
    /// <summary>The payload as a UTF-8 string.</summary>
    public string AsString() => Encoding.UTF8.GetString(Data.Span);
}

/// <summary>Splits a protocol-buffer message into its fields.</summary>
internal static class ProtoReader
{
    /// <summary>The fields of <paramref name="message"/>, in order; throws <see cref="InvalidDataException"/> on malformed input.</summary>
    public static List<ProtoField> Fields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<ProtoField>();
        var span = message.Span;
        int at = 0;
        while (at < span.Length)
        {
            ulong tag = ReadVarint(span, ref at);
            int number = (int)(tag >> 3), wire = (int)(tag & 7);
            if (number <= 0) throw new InvalidDataException("A protocol-buffer field number must be positive.");
            switch (wire)
            {
                case 0:
                    fields.Add(new ProtoField(number, 0, ReadVarint(span, ref at), default));
                    break;
                case 1:
                case 5:
                    int size = wire == 1 ? 8 : 4;
                    if (at + size > span.Length) throw new InvalidDataException("A protocol-buffer message ends inside a fixed-size field.");
                    fields.Add(new ProtoField(number, wire, 0, message.Slice(at, size)));
                    at += size;
                    break;
                case 2:
                    ulong length = ReadVarint(span, ref at);
                    if (length > (ulong)(span.Length - at)) throw new InvalidDataException("A protocol-buffer field is longer than its message.");
                    fields.Add(new ProtoField(number, 2, 0, message.Slice(at, (int)length)));
                    at += (int)length;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protocol-buffer wire type {wire}.");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= span.Length) throw new InvalidDataException("A protocol-buffer message ends inside a varint.");
            byte b = span[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("A protocol-buffer varint is longer than 10 bytes.");
    }
}
