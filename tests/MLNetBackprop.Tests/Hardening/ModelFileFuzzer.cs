using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>One damaged model file.</summary>
/// <param name="Category">Kind of damage (truncate, bitflip, …).</param>
/// <param name="Description">What exactly was done, for failure messages.</param>
/// <param name="Zip">The damaged model.zip, re-zipped with valid zip CRCs.</param>
public sealed record FuzzCase(string Category, string Description, byte[] Zip);

/// <summary>
/// Makes damaged copies of a valid model.zip: finds every zip entry holding one of our payload frames (the "MNBP"
/// magic), maps the frame's header and int32/int64 count fields (the layouts of <c>PayloadWriter</c>,
/// <c>MlpModelSerializer</c> and <c>BatchNormalizingTransformer</c>), and damages the frame — then writes the entry
/// back through <see cref="ZipArchive"/>, so the zip layer is valid and only our reader stands between the damage and
/// a loaded model. Everything happens in memory; a given seed always gives the same cases.
/// </summary>
public sealed class ModelFileFuzzer
{
    private readonly (string Name, byte[] Bytes)[] _entries;
    private readonly List<Frame> _frames = [];

    /// <summary>A payload frame inside entry <see cref="Entry"/> at <see cref="Start"/>, <see cref="Length"/> bytes including the SHA-256.</summary>
    private sealed record Frame(int Entry, int Start, int Length, string Kind, int BodyVersion, int BodyStart, int BodyLength, List<Field> Fields, List<int> FloatOffsets)
    {
        /// <summary>Offset of an int32 whose value the format fixes exactly (given the body length).</summary>
        public int PinnedField => Kind == "Mlp" ? Fields.Last(x => x.Name.StartsWith("state buffer")).Offset : Fields.Single(x => x.Name == "slot count").Offset;
    }

    /// <summary>An integer field at an offset in the frame, with the width (4 or 8) and whether a patched value may still be valid.</summary>
    private sealed record Field(string Name, int Offset, int Width, bool LargePositiveIsValid = false);

    public ModelFileFuzzer(byte[] validZip)
    {
        using (var zip = new ZipArchive(new MemoryStream(validZip), ZipArchiveMode.Read))
        {
            _entries = zip.Entries.Select(e =>
            {
                using var s = e.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                return (e.FullName, ms.ToArray());
            }).ToArray();
        }
        for (int i = 0; i < _entries.Length; i++)
        {
            int at = _entries[i].Bytes.AsSpan().IndexOf("MNBP"u8);
            if (at >= 0) _frames.Add(Map(i, _entries[i].Bytes, at));
        }
        if (_frames.Count == 0) throw new InvalidOperationException("No MNBP payload found in the model.zip.");
    }

    /// <summary>Kinds of the payloads found, e.g. "Mlp", "BatchNorm".</summary>
    public IReadOnlyList<string> Kinds => _frames.Select(f => f.Kind).ToList();

    /// <summary>Total bytes of our payloads.</summary>
    public int PayloadBytes => _frames.Sum(f => f.Length);

    /// <summary>The original zip, rebuilt through the same path the damaged ones take (a control: must load).</summary>
    public byte[] Rezip() => Zip(-1, null);

    private static Frame Map(int entry, byte[] bytes, int start)
    {
        var fields = new List<Field>();
        var floats = new List<int>();
        int k = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(start + 8));
        string kind = Encoding.UTF8.GetString(bytes, start + 12, k);
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(start + 12 + k));
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(start + 16 + k));
        fields.Add(new("frame version", 4, 4));
        fields.Add(new("kind length", 8, 4));
        fields.Add(new("body version", 12 + k, 4));
        fields.Add(new("body length", 16 + k, 8));
        int body = 24 + k;
        var w = new Walker(bytes, start, body, fields, floats);
        if (kind == "Mlp") WalkMlp(w, version);
        else if (kind == "BatchNorm") WalkBatchNorm(w);
        else throw new InvalidOperationException($"Unknown payload kind '{kind}'.");
        if (w.Pos != body + n) throw new InvalidOperationException($"{kind} body walk ended at {w.Pos}, body ends at {body + n}: the fuzzer's layout is out of date.");
        return new Frame(entry, start, body + (int)n + 32, kind, version, body, (int)n, fields, floats);
    }

    /// <summary>Walks a body, recording integer fields (by frame offset) and Single values.</summary>
    private sealed class Walker(byte[] bytes, int start, int pos, List<Field> fields, List<int> floats)
    {
        public int Pos = pos;

        public int Int32(string name, bool largeOk = false)
        {
            fields.Add(new(name, Pos, 4, largeOk));
            int v = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(start + Pos));
            Pos += 4;
            return v;
        }

        public long Int64(string name, bool largeOk = false)
        {
            fields.Add(new(name, Pos, 8, largeOk));
            long v = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(start + Pos));
            Pos += 8;
            return v;
        }

        public void Singles(int count)
        {
            for (int i = 0; i < count; i++) floats.Add(Pos + 4 * i);
            Pos += 4 * count;
        }

        public void Skip(int count) => Pos += count;

        public void String(string name) => Skip(Int32(name + " length"));

        public byte Byte()
        {
            byte b = bytes[start + Pos];
            Pos++;
            return b;
        }
    }

    private static void WalkMlp(Walker w, int version)
    {
        w.Int32("task");
        w.String("feature column");
        int d;
        if (version >= 4)
        {
            // The spec record (NetworkSpecCodec), then the smooth-clip flag.
            w.Int32("spec version");
            d = w.Int32("input size");
            int h = w.Int32("hidden layer count");
            for (int i = 0; i < h; i++) w.Int32($"hidden layer {i} width");
            w.Int32("activation");
            w.Skip(4); // leaky slope
            w.Byte(); // batch norm
            w.Skip(4); // dropout
            int outputs = w.Int32("output size");
            w.Int32("loss");
            w.Int32("weight init");
            if (w.Byte() == 1) w.Singles(outputs); // class weights
            w.Skip(8); // smoothing, Huber δ
            w.Int32("parametrization");
            w.Byte(); // input scaling
            int m = w.Int32("embedded feature count");
            for (int i = 0; i < m; i++) w.Int32($"embedded feature {i}");
            w.Int32("embedding frequencies");
            w.Int32("embedding outputs");
            w.Byte(); // smooth clip
        }
        else
        {
            d = w.Int32("input size");
            int h = w.Int32("hidden layer count");
            for (int i = 0; i < h; i++) w.Int32($"hidden layer {i} width");
            w.Int32("activation");
            w.Skip(4); // leaky slope
            w.Byte(); // batch norm
            w.Skip(4); // dropout
            w.Int32("output size");
            w.Int32("loss");
            w.Skip(8); // smoothing, Huber δ
            if (version >= 3)
            {
                w.Int32("parametrization");
                w.Byte(); // input scaling
                w.Byte(); // smooth clip
                int m = w.Int32("embedded feature count");
                for (int i = 0; i < m; i++) w.Int32($"embedded feature {i}");
                w.Int32("embedding frequencies");
                w.Int32("embedding outputs");
            }
        }
        w.Singles(2 * d); // means, scales
        w.Skip(8); // label mean, scale
        if (w.Byte() == 1)
        {
            int code = w.Int32("key value type");
            int count = w.Int32("key value count");
            for (int i = 0; i < count; i++)
            {
                switch (code)
                {
                    case 1: w.String("key value"); break;
                    case 8: w.Skip(1); break;
                    case 2 or 4: w.Skip(4); break;
                    default: w.Skip(8); break;
                }
            }
        }
        int members = version >= 3 ? w.Int32("ensemble size") : 1;
        for (int m = 0; m < members; m++)
        {
            int buffers = w.Int32("state buffer count");
            for (int i = 0; i < buffers; i++) w.Singles(w.Int32($"state buffer {i} length"));
        }
        if (version < 2) return;
        for (int m = 0; m < members; m++)
        {
            // Training history (body version ≥ 2): its doubles are informational (any value loads), so they are not fuzzed as Singles.
            int epochs = w.Int32("history epoch count");
            for (int i = 0; i < epochs; i++)
            {
                w.Skip(4 + 8); // epoch number, train loss
                if (w.Byte() == 1) w.Skip(8); // validation loss
                if (w.Byte() == 1) w.Skip(8); // validation metric
                w.Skip(8 + 8); // learning rate, elapsed ticks
                w.Skip(8 * w.Int32($"history epoch {i} gradient norm count"));
            }
            w.Int32("history best epoch"); // at most the last epoch number: every hostile value is out of range
            w.String("history stop reason");
        }
    }

    private static void WalkBatchNorm(Walker w)
    {
        w.String("input column name");
        w.String("output column name");
        w.Byte();
        int n = w.Int32("slot count");
        w.Skip(4); // ε
        w.Int64("row count", largeOk: true); // any count ≥ 2 is valid metadata
        w.Skip(16 * n); // mean, variance (doubles)
        w.Singles(2 * n); // γ, β
    }

    /// <summary>The damaged files: <paramref name="count"/> cases drawn with <paramref name="seed"/>, round-robin over the categories.</summary>
    public IEnumerable<FuzzCase> Generate(int seed, int count)
    {
        var rng = new Random(seed);
        Func<Random, FuzzCase>[] makers =
        [
            Truncate, TruncateAnywhereInEntry, BitFlip, BitFlips, PatchCount, FrameVersion, BodyVersion, WrongKind,
            RandomPayload, RandomBodyAfterMagic, NonFiniteWithValidChecksum, BitFlip,
        ];
        for (int i = 0; i < count; i++) yield return makers[i % makers.Length](rng);
    }

    private Frame Pick(Random rng) => _frames[rng.Next(_frames.Count)];

    private byte[] Payload(Frame f) => _entries[f.Entry].Bytes.AsSpan(f.Start, f.Length).ToArray();

    /// <summary>The zip with entry <paramref name="entry"/> replaced by <paramref name="bytes"/> (-1: unchanged).</summary>
    private byte[] Zip(int entry, byte[]? bytes)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (int i = 0; i < _entries.Length; i++)
            {
                var e = zip.CreateEntry(_entries[i].Name, CompressionLevel.Fastest);
                using var s = e.Open();
                s.Write(i == entry ? bytes! : _entries[i].Bytes);
            }
        }
        return ms.ToArray();
    }

    /// <summary>
    /// The entry with the frame replaced by <paramref name="frame"/> (same length or not). When the length changes, ML.NET's
    /// own model header (ModelHeader: the model block size and the offsets of what follows it) is adjusted, so that ML.NET's
    /// container checks pass and the damaged frame reaches our reader. With <paramref name="cutEntryAt"/> the entry is
    /// instead cut raw at that byte, ML.NET's header untouched: ML.NET's own checks see it first.
    /// </summary>
    private FuzzCase With(Frame f, byte[] frame, string category, string description, int cutEntryAt = -1)
    {
        var original = _entries[f.Entry].Bytes;
        byte[] entry;
        if (cutEntryAt >= 0) entry = original[..cutEntryAt];
        else
        {
            entry = [.. original.AsSpan(0, f.Start), .. frame, .. original.AsSpan(f.Start + f.Length)];
            long delta = frame.Length - f.Length;
            if (delta != 0)
            {
                var h = entry.AsSpan();
                if (BinaryPrimitives.ReadUInt64LittleEndian(h) != MlNetSignature) throw new InvalidOperationException("Entry does not start with ML.NET's model header.");
                long end = f.Start + f.Length;
                Shift(h, 0x18, delta); // CbModel
                foreach (int at in new[] { 0x20, 0x30, 0x80, 0x88, 0x90 }) // FpStringTable, FpStringChars, FpTail, FpLim, FpAssemblyName
                {
                    long v = BinaryPrimitives.ReadInt64LittleEndian(h[at..]);
                    if (v >= end) Shift(h, at, delta);
                }
            }
        }
        return new FuzzCase(category, $"{f.Kind}: {description}", Zip(f.Entry, entry));

        static void Shift(Span<byte> h, int at, long delta) =>
            BinaryPrimitives.WriteInt64LittleEndian(h[at..], BinaryPrimitives.ReadInt64LittleEndian(h[at..]) + delta);
    }

    /// <summary>ML.NET's ModelHeader.SignatureValue ("ML\0MODEL").</summary>
    private const ulong MlNetSignature = 0x4C45444F4D004C4DUL;

    /// <summary>Recomputes the frame's SHA-256 (over everything before it) so that only the parser can catch the damage.</summary>
    private static void Reseal(Frame f, byte[] frame)
    {
        int hashed = f.Length - 32;
        SHA256.HashData(frame.AsSpan(0, hashed), frame.AsSpan(hashed));
    }

    private FuzzCase Truncate(Random rng)
    {
        var f = Pick(rng);
        int cut = rng.Next(0, f.Length); // keep [0, cut) of the frame; ML.NET's header is adjusted to match
        return With(f, Payload(f)[..cut], "truncate", $"frame cut to {cut} of {f.Length} bytes (ML.NET header adjusted)");
    }

    private FuzzCase TruncateAnywhereInEntry(Random rng)
    {
        var f = Pick(rng);
        int cut = rng.Next(0, _entries[f.Entry].Bytes.Length); // ML.NET's header now promises more than is there
        return With(f, [], "truncate-raw", $"entry cut at byte {cut} of {_entries[f.Entry].Bytes.Length} (frame at {f.Start})", cut);
    }

    private FuzzCase BitFlip(Random rng)
    {
        var f = Pick(rng);
        var p = Payload(f);
        int bit = rng.Next(p.Length * 8);
        p[bit / 8] ^= (byte)(1 << (bit % 8));
        return With(f, p, "bitflip", $"bit {bit} flipped (byte {bit / 8} of {p.Length})");
    }

    private FuzzCase BitFlips(Random rng)
    {
        var f = Pick(rng);
        var p = Payload(f);
        int flips = rng.Next(2, 33);
        for (int i = 0; i < flips; i++)
        {
            int bit = rng.Next(p.Length * 8);
            p[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        return With(f, p, "bitflips", $"{flips} random bit flips");
    }

    private static readonly long[] Hostile = [int.MaxValue, 1L << 31, -1, int.MinValue, -2, (long)uint.MaxValue, long.MaxValue, long.MinValue];

    private FuzzCase PatchCount(Random rng)
    {
        var f = Pick(rng);
        var field = f.Fields[rng.Next(f.Fields.Count)];
        long value = Hostile[rng.Next(field.Width == 8 ? Hostile.Length : 4)];
        if (field.LargePositiveIsValid && value > 1) value = -value; // a large row count is valid metadata: only negative is damage
        var p = Payload(f);
        if (field.Width == 4) BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(field.Offset), unchecked((int)value));
        else BinaryPrimitives.WriteInt64LittleEndian(p.AsSpan(field.Offset), value);
        Reseal(f, p);
        return With(f, p, "count", $"'{field.Name}' set to {(field.Width == 4 ? unchecked((int)value) : value)} (checksum recomputed)");
    }

    private FuzzCase FrameVersion(Random rng)
    {
        var f = Pick(rng);
        var p = Payload(f);
        int v = new[] { 0, 2, -1, int.MaxValue }[rng.Next(4)];
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(4), v);
        Reseal(f, p);
        return With(f, p, "frame-version", $"frame version {v} (checksum recomputed)");
    }

    private FuzzCase BodyVersion(Random rng)
    {
        var f = Pick(rng);
        var p = Payload(f);
        // Another version: unknown ones, and for a version-2 Mlp body version 1, whose layout lacks the history.
        int v = new[] { 0, f.BodyVersion + 1, -1, f.BodyVersion > 1 ? f.BodyVersion - 1 : int.MaxValue }[rng.Next(4)];
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(f.BodyStart - 12), v);
        Reseal(f, p);
        return With(f, p, "body-version", $"body version {v} (checksum recomputed)");
    }

    private FuzzCase WrongKind(Random rng)
    {
        var f = Pick(rng);
        var p = Payload(f);
        int k = f.BodyStart - 24;
        // Same length, so nothing else moves: another kind name, a case change, or invalid UTF-8.
        var choice = rng.Next(3);
        for (int i = 0; i < k; i++)
        {
            p[12 + i] = choice switch
            {
                0 => (byte)('A' + rng.Next(26)),
                1 => (byte)char.ToLowerInvariant((char)p[12 + i]),
                _ => (byte)0xFF,
            };
        }
        if (choice == 1 && p.AsSpan(12, k).SequenceEqual(Encoding.UTF8.GetBytes(f.Kind))) p[12] = (byte)'x';
        Reseal(f, p);
        return With(f, p, "kind", $"kind bytes '{Encoding.Latin1.GetString(p, 12, k)}' (checksum recomputed)");
    }

    private FuzzCase RandomPayload(Random rng)
    {
        var f = Pick(rng);
        var p = new byte[rng.Next(0, 2 * f.Length)];
        rng.NextBytes(p);
        return With(f, p, "random", $"frame replaced by {p.Length} random bytes");
    }

    private FuzzCase RandomBodyAfterMagic(Random rng)
    {
        var f = Pick(rng);
        var p = Payload(f);
        var original = Payload(f);
        bool reseal = rng.Next(2) == 0;
        // With a recomputed checksum only header and body bytes are randomised (randomising just the old checksum
        // and resealing would rebuild the valid file), and at least one of them must change.
        // Resealed, the randomised range also covers a count the format pins exactly (the last state-buffer length of
        // an Mlp body, the slot count of a BatchNorm body: random bytes hit it with probability 2^-32). Random bytes
        // confined to the float arrays under a recomputed checksum would be a well-formed, loadable model: no parser
        // can tell forged parameters from trained ones — that is what the checksum is for.
        int end = reseal ? f.Length - 32 : f.Length;
        int from = reseal ? rng.Next(4, f.PinnedField + 1) : rng.Next(4, end);
        do rng.NextBytes(p.AsSpan(from, end - from));
        while (p.AsSpan(from, end - from).SequenceEqual(original.AsSpan(from, end - from)));
        if (reseal) Reseal(f, p);
        return With(f, p, "random", $"bytes [{from}, {end}) randomised{(reseal ? " (checksum recomputed)" : "")}");
    }

    private FuzzCase NonFiniteWithValidChecksum(Random rng)
    {
        var f = Pick(rng);
        var p = Payload(f);
        int at = f.FloatOffsets[rng.Next(f.FloatOffsets.Count)];
        float v = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }[rng.Next(3)];
        BinaryPrimitives.WriteSingleLittleEndian(p.AsSpan(at), v);
        Reseal(f, p);
        return With(f, p, "non-finite", $"Single at frame offset {at} set to {v} (checksum recomputed)");
    }
}
