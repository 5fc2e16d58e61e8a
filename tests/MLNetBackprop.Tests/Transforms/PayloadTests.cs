using MLNetBackprop.Internals;

namespace MLNetBackprop.Tests.Transforms;

public class PayloadTests
{
    private static PayloadReader RoundTrip(PayloadWriter w, string kind = "Test") => PayloadReader.FromBytes(w.ToArray(), kind, 0, 3);

    [Fact]
    public void RoundTripsEveryPrimitive()
    {
        var w = new PayloadWriter("Test", 2);
        w.WriteInt32(-7);
        w.WriteInt64(1L << 40);
        w.WriteSingle(float.NaN);
        w.WriteDouble(Math.PI);
        w.WriteSingles([1f, -2f, 3.5f]);
        w.WriteDoubles([0.1, 0.2]);
        w.WriteBoolean(true);
        w.WriteString("héllo");
        var r = RoundTrip(w);
        Assert.Equal(2, r.BodyVersion);
        Assert.Equal(-7, r.ReadInt32("a", -10, 10));
        Assert.Equal(1L << 40, r.ReadInt64("b", 0, long.MaxValue));
        Assert.True(float.IsNaN(r.ReadSingle("c")));
        Assert.Equal(Math.PI, r.ReadDouble("d", 3, 4));
        Assert.Equal([1f, -2f, 3.5f], r.ReadSingles("e", 3));
        Assert.Equal([0.1, 0.2], r.ReadDoubles("f", 2));
        Assert.True(r.ReadBoolean("g"));
        Assert.Equal("héllo", r.ReadString("h", 100));
        r.EnsureEnd();
    }

    [Fact]
    public void OutOfRangeMessageNamesFieldValueAndBounds()
    {
        var w = new PayloadWriter("BatchNorm", 1);
        w.WriteInt32(-5);
        var r = PayloadReader.FromBytes(w.ToArray(), "BatchNorm", 1, 1);
        var ex = Assert.Throws<InvalidDataException>(() => r.ReadInt32("slot count", 1, 16777216));
        Assert.Equal("BatchNorm payload: 'slot count' = -5 is out of range [1, 16777216]", ex.Message);
    }

    [Fact]
    public void HugeCountsFailBeforeAllocating()
    {
        var w = new PayloadWriter("Test", 0);
        w.WriteSingles([1f, 2f]);
        var r = RoundTrip(w);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => r.ReadSingles("weights", 500_000_000));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        Assert.Contains("'weights'", ex.Message);
        Assert.Throws<InvalidDataException>(() => RoundTrip(w).ReadDoubles("w", 2));
        Assert.Throws<InvalidDataException>(() => RoundTrip(w).ReadString("name", 100)); // length 1065353216 > 100
    }

    [Fact]
    public void HugeClaimedBodyLengthOnNonSeekableStreamDoesNotAllocateIt()
    {
        var w = new PayloadWriter("Test", 0);
        w.WriteInt32(1);
        var frame = w.ToArray();
        // body length field at 12 + 4 + 4 = 20 for kind "Test"
        BitConverter.TryWriteBytes(frame.AsSpan(20), 0x7000_0000L);
        using var s = new NonSeekable(new MemoryStream(frame));
        using var br = new BinaryReader(s);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => PayloadReader.ReadFrom(br, "Test", 0, 0));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16_000_000);
        Assert.Contains("truncated", ex.Message);
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void WrongKindVersionAndTrailingBytesAreRejected()
    {
        var w = new PayloadWriter("Other", 1);
        w.WriteInt32(1);
        var e1 = Assert.Throws<InvalidDataException>(() => PayloadReader.FromBytes(w.ToArray(), "Test", 0, 3));
        Assert.Contains("'Other'", e1.Message);
        var v = new PayloadWriter("Test", 9);
        var e2 = Assert.Throws<InvalidDataException>(() => PayloadReader.FromBytes(v.ToArray(), "Test", 0, 3));
        Assert.Contains("body version", e2.Message);
        var r = RoundTrip(w, "Other");
        Assert.Throws<InvalidDataException>(() => r.EnsureEnd());
        var b = new PayloadWriter("Test", 0);
        b.WriteInt32(2);
        Assert.Throws<InvalidDataException>(() => RoundTrip(b).ReadBoolean("flag"));
        Assert.Throws<InvalidDataException>(() => PayloadReader.FromBytes([.. b.ToArray(), 0], "Test", 0, 0));
    }
}
