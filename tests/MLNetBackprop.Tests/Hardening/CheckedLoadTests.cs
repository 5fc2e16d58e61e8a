using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>
/// Issue 11 items 2 and 4: <c>Model.LoadChecked</c> refuses, with an <see cref="InvalidDataException"/> naming the limit,
/// a zip bomb (by ratio, by size, by declared-size lies), an oversized file before reading it, a chain nested deeper
/// than ML.NET's loader can recurse on a small stack, and a file naming a loader assembly or signature that is not
/// ML.NET's or ours — while genuine models load and score exactly as through <c>Model.Load</c>.
/// Runs alone: building the bomb allocates a 34 MB network.
/// </summary>
[Collection(MLNet.MemoryMeasurementCollection.Name)]
public class CheckedLoadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetbackprop-checked-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static InvalidDataException Refused(byte[] zip, ModelLoadLimits? limits = null) =>
        Assert.Throws<InvalidDataException>(() => new MLContext(1).Model.LoadChecked(new MemoryStream(zip), out _, limits));

    /// <summary>A pipeline of ML.NET transforms, the BatchNorm transform and the MLP, trained on iris.</summary>
    private static (ITransformer Model, IDataView Data, byte[] Zip) Genuine()
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        var data = FloatData(ml, x, y);
        var pipeline = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.Transforms.BatchNormalize("Features"))
            .Append(ml.Regression.Trainers.Mlp(Regression(epochs: 2)));
        var model = pipeline.Fit(data);
        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        return (model, data, zip.ToArray());
    }

    /// <summary>A copy of <paramref name="zip"/> with each entry's bytes passed through <paramref name="change"/>.</summary>
    private static byte[] Rezip(byte[] zip, Func<string, byte[], byte[]> change)
    {
        using var source = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var output = new MemoryStream();
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var entry in source.Entries)
            {
                using var read = entry.Open();
                using var bytes = new MemoryStream();
                read.CopyTo(bytes);
                using var write = target.CreateEntry(entry.FullName).Open();
                write.Write(change(entry.FullName, bytes.ToArray()));
            }
        return output.ToArray();
    }

    /// <summary>The loader assembly name recorded in an ML.NET model entry's header, replaced by one of the same length.</summary>
    private static byte[] WithAssemblyName(byte[] entry, Func<string, string> rename)
    {
        long at = BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(0x90));
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(0x98));
        string name = Encoding.Unicode.GetString(entry, (int)at, length);
        string renamed = rename(name);
        Assert.Equal(name.Length, renamed.Length);
        var copy = (byte[])entry.Clone();
        Encoding.Unicode.GetBytes(renamed).CopyTo(copy, (int)at);
        return copy;
    }

    [Fact]
    public void GenuineModelsLoadAndScoreAsThroughModelLoad()
    {
        var (model, data, zip) = Genuine();
        var expected = model.Transform(data).GetColumn<float>("Score").ToArray();
        var fromStream = new MLContext(2).Model.LoadChecked(new MemoryStream(zip), out var schema);
        Assert.Equal(expected, fromStream.Transform(data).GetColumn<float>("Score").ToArray());
        Assert.Equal(data.Schema.Count, schema.Count);
        var fromFile = new MLContext(3).Model.LoadChecked(Write("model.zip", zip), out _);
        Assert.Equal(expected, fromFile.Transform(data).GetColumn<float>("Score").ToArray());

        // The model files of an earlier release pass too.
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Data", "models", "release-a590028");
        foreach (string file in Directory.GetFiles(fixtures, "*.zip"))
            Assert.NotNull(new MLContext(1).Model.LoadChecked(file, out _));
    }

    [Fact]
    public void AZipBombIsRefusedByRatioAndBySizeBeforeItIsInflated()
    {
        var (zip, payload) = ZipBombTests.ZeroNetworkZip(1 << 16);
        Assert.True(zip.Length * 100 < payload);
        Assert.Contains("MaxCompressionRatio = 200", Refused(zip).Message);
        Assert.Contains("MaxEntryBytes = 16,777,216", Refused(zip, new ModelLoadLimits { MaxCompressionRatio = double.PositiveInfinity, MaxEntryBytes = 16 << 20 }).Message);
        Assert.Contains("MaxTotalBytes = 33,554,432", Refused(zip, new ModelLoadLimits { MaxCompressionRatio = double.PositiveInfinity, MaxTotalBytes = 32 << 20 }).Message);
        // With the limits opened up, it is what it claims: a valid network of zeros.
        var open = new ModelLoadLimits { MaxCompressionRatio = double.PositiveInfinity };
        Assert.NotNull(new MLContext(1).Model.LoadChecked(new MemoryStream(zip), out _, open));
    }

    [Fact]
    public void AnOversizedFileIsRefusedUnread()
    {
        var (_, _, zip) = Genuine();
        var limits = new ModelLoadLimits { MaxFileBytes = zip.Length - 1 };
        var e = Assert.Throws<InvalidDataException>(() => new MLContext(1).Model.LoadChecked(Write("big.zip", zip), out _, limits));
        Assert.Contains("MaxFileBytes", e.Message);
        Assert.Contains("it was not read", e.Message);
        Assert.Contains("MaxFileBytes", Refused(zip, limits).Message);
        // A stream without a length is read up to the limit, then refused.
        var unseekable = new NonSeekable(zip);
        var e2 = Assert.Throws<InvalidDataException>(() => new MLContext(1).Model.LoadChecked(unseekable, out _, limits));
        Assert.Contains("MaxFileBytes", e2.Message);
        Assert.True(unseekable.Consumed <= zip.Length, $"read {unseekable.Consumed} bytes");
    }

    private sealed class NonSeekable(byte[] bytes) : Stream
    {
        public long Consumed;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, bytes.Length - Consumed);
            Array.Copy(bytes, Consumed, buffer, offset, n);
            Consumed += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void AnEntryThatInflatesBeyondItsDeclaredSizeIsRefused()
    {
        var (_, _, zip) = Genuine();
        // Lower the "Schema" entry's declared size in its central directory record (and local header) by one byte.
        var forged = (byte[])zip.Clone();
        byte[] name = Encoding.ASCII.GetBytes("Schema");
        int patched = 0;
        for (int i = 0; i + 46 < forged.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(forged.AsSpan(i));
            int sizeAt = signature == 0x02014b50 ? 24 : signature == 0x04034b50 ? 22 : -1;
            int nameAt = signature == 0x02014b50 ? 46 : 30;
            if (sizeAt < 0 || !forged.AsSpan(i + nameAt, name.Length).SequenceEqual(name)) continue;
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(forged.AsSpan(i + sizeAt));
            BinaryPrimitives.WriteUInt32LittleEndian(forged.AsSpan(i + sizeAt), size - 1);
            patched++;
        }
        Assert.Equal(2, patched);
        var e = Refused(forged);
        Assert.Contains("'Schema'", e.Message);
    }

    /// <summary>
    /// A genuine ML.NET file of <paramref name="depth"/> transformer chains nested in each other around a column copy.
    /// (ML.NET cannot save one that deep itself: it stages entries in nested folders and hits the path length limit. A
    /// chain of one transformer is the same Model.key at every level, so the file is built from a depth-2 save.)
    /// </summary>
    private static byte[] NestedChains(int depth)
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FloatRow { Features = new float[D], Label = 1 } });
        ITransformer inner = ml.Transforms.CopyColumns("Copy", "Label").Fit(data);
        using var saved = new MemoryStream();
        ml.Model.Save(new TransformerChain<ITransformer>(new TransformerChain<ITransformer>(inner)), data.Schema, saved);
        var entries = new Dictionary<string, byte[]>();
        using (var source = new ZipArchive(new MemoryStream(saved.ToArray()), ZipArchiveMode.Read))
            foreach (var e in source.Entries)
            {
                using var read = e.Open();
                using var bytes = new MemoryStream();
                read.CopyTo(bytes);
                entries[e.FullName] = bytes.ToArray();
            }
        const string Level = "Transform_000/";
        byte[] chain = entries["TransformerChain/" + Level + "Model.key"];
        using var output = new MemoryStream();
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes) { using var w = target.CreateEntry(name).Open(); w.Write(bytes); }
            foreach (var (name, bytes) in entries)
            {
                if (!name.StartsWith("TransformerChain/" + Level, StringComparison.Ordinal)) { Add(name, bytes); continue; }
                if (name == "TransformerChain/" + Level + "Model.key")
                    for (int level = 1; level < depth; level++) Add("TransformerChain/" + string.Concat(Enumerable.Repeat(Level, level)) + "Model.key", chain);
                else if (name.StartsWith("TransformerChain/" + Level + Level, StringComparison.Ordinal))
                    Add("TransformerChain/" + string.Concat(Enumerable.Repeat(Level, depth)) + name["TransformerChain/".Length..][(2 * Level.Length)..], bytes);
            }
        }
        return output.ToArray();
    }

    [Fact]
    public void AChainNestedDeeperThanTheLimitIsRefusedOnASmallStackThread()
    {
        byte[] zip = NestedChains(500);
        var row = new MLContext(1).Data.LoadFromEnumerable(new[] { new FloatRow { Features = new float[D], Label = 7 } });
        // A genuine file: given a stack deep enough for ML.NET's recursion (and the limit raised), it loads and works.
        var deep = new ModelLoadLimits { MaxNestingDepth = 1000 };
        var copied = OnThread(256 << 20, () => new MLContext(1).Model.LoadChecked(new MemoryStream(zip), out _, deep).Transform(row).GetColumn<float>("Copy").ToArray());
        Assert.Equal([7f], copied);

        // On a 1 MB stack, where ML.NET's own loader would overflow and end the process, the checked load refuses it first.
        var e = OnThread(1 << 20, () => Record.Exception(() => new MLContext(1).Model.LoadChecked(new MemoryStream(zip), out _)));
        var refused = Assert.IsType<InvalidDataException>(e);
        Assert.Contains("MaxNestingDepth = 64", refused.Message);
        Assert.Contains("nested 50", refused.Message); // 500-odd folders deep
    }

    private static T OnThread<T>(int stackBytes, Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { result = work(); }
            catch (Exception e) { failure = e; }
        }, stackBytes);
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException($"worker thread failed: {failure}");
        return result;
    }

    [Fact]
    public void ALoaderAssemblyThatIsNotMLNetsOrOursIsRefusedByName()
    {
        var (_, _, zip) = Genuine();
        const string Chain = "TransformerChain/Model.key";

        // Not on the allow-list: refused without being loaded.
        var foreign = Rezip(zip, (name, bytes) => name == Chain ? WithAssemblyName(bytes, n => n.Replace("Microsoft.ML.Data", "Contoso.Evil.Data")) : bytes);
        var e = Refused(foreign);
        Assert.Contains("'Contoso.Evil.Data, Version=", e.Message);
        Assert.Contains("AllowedAssemblies", e.Message);
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "Contoso.Evil.Data");

        // Allowed by name but absent: refused by name — where plain Model.Load surfaces Assembly.Load's FileNotFoundException.
        var missing = Rezip(zip, (name, bytes) => name == Chain ? WithAssemblyName(bytes, n => n.Replace("Microsoft.ML.Data", "Microsoft.ML.Dat2")) : bytes);
        Assert.Contains("'Microsoft.ML.Dat2', which is not present", Refused(missing).Message);
        var plain = Record.Exception(() => new MLContext(1).Model.Load(new MemoryStream(missing), out _));
        Assert.IsType<FileNotFoundException>(Root(plain!));

        // A loader signature that MLNetBackprop's assembly does not declare.
        var signature = Rezip(zip, (name, bytes) =>
        {
            if (bytes.Length < 0x100 || Encoding.ASCII.GetString(bytes, 0x50, 21) != "BackpropMlpRegression") return bytes;
            var copy = (byte[])bytes.Clone();
            Encoding.ASCII.GetBytes("BackpropMlpRegressioX").CopyTo(copy, 0x50);
            return copy;
        });
        Assert.Contains("names loader 'BackpropMlpRegressioX', which MLNetBackprop.Trainers does not declare", Refused(signature).Message);
    }

    [Fact]
    public void EntryCountNamesAndLimitOptionsAreChecked()
    {
        var (_, _, zip) = Genuine();
        Assert.Contains("MaxEntries = 2", Refused(zip, new ModelLoadLimits { MaxEntries = 2 }).Message);

        byte[] WithExtraEntry(string entryName)
        {
            var output = new MemoryStream();
            output.Write(zip);
            using (var archive = new ZipArchive(output, ZipArchiveMode.Update, leaveOpen: true))
                using (var w = archive.CreateEntry(entryName).Open()) w.Write([1, 2, 3]);
            return output.ToArray();
        }
        Assert.Contains("climbs out of the archive", Refused(WithExtraEntry("../../etc/evil")).Message);
        Assert.Contains("appears twice", Refused(WithExtraEntry("Schema")).Message);
        Assert.Contains("is not a valid zip", Refused(Encoding.ASCII.GetBytes("not a zip at all")).Message);

        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Model.LoadChecked(new MemoryStream(zip), out _, new ModelLoadLimits { MaxNestingDepth = 0 }));
        Assert.Equal("MaxNestingDepth", bad.ParamName);
    }
}
