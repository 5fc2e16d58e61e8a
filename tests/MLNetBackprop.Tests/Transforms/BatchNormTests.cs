using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Internals;

namespace MLNetBackprop.Tests.Transforms;

public class BatchNormTests
{
    [Fact]
    public void FitStatisticsMatchTorchBatchStatistics()
    {
        var c = TestData.BatchNormCase();
        var train = TestData.Matrix(c.GetProperty("inputs").GetProperty("input_train"));
        var expected = c.GetProperty("expected").GetProperty("train_mode");
        var ml = new MLContext(1);
        var t = ml.Transforms.BatchNormalize("Features").Fit(TestData.FromMatrix(ml, train));
        var mean = TestData.Vector(expected.GetProperty("batch_mean"));
        var varUnbiased = TestData.Vector(expected.GetProperty("batch_var_unbiased_used_for_running_var"));
        Assert.Equal(6, t.RowCount);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(mean[i], t.Mean[i], 1e-6);
            Assert.Equal(varUnbiased[i], t.Variance[i], 1e-6);
        }
    }

    [Fact]
    public void EvalFormulaMatchesTorchBatchNorm1dEvalMode()
    {
        var c = TestData.BatchNormCase();
        var inputs = c.GetProperty("inputs");
        var exp = c.GetProperty("expected");
        var runMean = TestData.Vector(exp.GetProperty("train_mode").GetProperty("running_mean_after"));
        var runVar = TestData.Vector(exp.GetProperty("train_mode").GetProperty("running_var_after"));
        var gamma = TestData.Vector(inputs.GetProperty("weight_gamma")).Select(v => (float)v).ToArray();
        var beta = TestData.Vector(inputs.GetProperty("bias_beta")).Select(v => (float)v).ToArray();
        var eval = TestData.Matrix(inputs.GetProperty("input_eval"));
        var expected = TestData.Matrix(exp.GetProperty("eval_mode_second_input").GetProperty("output"));
        float eps = (float)c.GetProperty("hyperparameters").GetProperty("eps").GetDouble();

        var ml = new MLContext(1);
        var t = new BatchNormalizingTransformer(ml, "Y", "Features", true, eps, 6, runMean, runVar, gamma, beta);
        var y = TestData.ReadVectors(t.Transform(TestData.FromMatrix(ml, eval)), "Y");
        Assert.Equal(expected.Length, y.Length);
        for (int r = 0; r < y.Length; r++)
            for (int i = 0; i < 4; i++)
                Assert.True(Math.Abs(expected[r][i] - y[r][i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[r][i])), $"row {r} slot {i}: {y[r][i]} vs {expected[r][i]}");
    }

    private sealed class ScalarRow
    {
        public float X { get; set; }
    }

    [Fact]
    public void HandComputedScalarExample()
    {
        // x = 1, 2, 3, 4: mean 2.5, unbiased var 5/3; gamma 2, beta 0.5, eps 1e-5.
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { 1f, 2f, 3f, 4f }.Select(v => new ScalarRow { X = v }));
        var t = ml.Transforms.BatchNormalize("Y", "X", gamma: [2f], beta: [0.5f]).Fit(data);
        Assert.Equal(2.5, t.Mean[0], 15);
        Assert.Equal(5.0 / 3.0, t.Variance[0], 15);
        Assert.False(t.IsVector);
        var outCol = t.GetOutputSchema(data.Schema)["Y"];
        Assert.Equal(NumberDataViewType.Single, outCol.Type);
        var y = TestData.ReadVectors(t.Transform(data), "Y").Select(r => r[0]).ToArray();
        double s = Math.Sqrt(5.0 / 3.0 + (double)1e-5f);
        for (int i = 0; i < 4; i++)
            Assert.Equal((float)(2 * (i + 1 - 2.5) / s + 0.5), y[i]);
    }

    [Fact]
    public void StatisticsAreIndependentOfRowOrder()
    {
        var ml = new MLContext(1);
        var data = TestData.LoadBreastCancer(ml);
        var rows = TestData.ReadVectors(data, "Features");
        var shuffled = rows.OrderBy(_ => Random.Shared.Next()).ToArray();
        var reversed = rows.Reverse().ToArray();
        var schema = SchemaDefinition.Create(typeof(VarRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 30);
        BatchNormalizingTransformer Fit(float[][] m) =>
            ml.Transforms.BatchNormalize("Features").Fit(ml.Data.LoadFromEnumerable(m.Select(r => new VarRow { Features = r }), schema));
        var a = Fit(rows);
        var b = Fit(shuffled);
        var c = Fit(reversed);
        for (int i = 0; i < 30; i++)
        {
            foreach (var o in new[] { b, c })
            {
                Assert.True(Math.Abs(a.Mean[i] - o.Mean[i]) <= 1e-13 * Math.Abs(a.Mean[i]) + 1e-300, $"mean {i}");
                Assert.True(Math.Abs(a.Variance[i] - o.Variance[i]) <= 1e-12 * a.Variance[i], $"var {i}");
                Assert.Equal((float)a.Mean[i], (float)o.Mean[i]);
            }
        }
    }

    public sealed class VarRow
    {
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void SparseInputGivesSameResultAsDense()
    {
        var ml = new MLContext(1);
        var dense = new[] { new float[] { 0, 1, 0, 5 }, [2, 0, 0, 0], [0, 0, 3, 1], [0, 0, 0, 0] };
        var denseView = TestData.FromMatrix(ml, dense.Select(r => r.Select(v => (double)v).ToArray()).ToArray());
        var b = new DataViewSchema.Builder();
        b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, 4));
        var sparseView = new SparseView(b.ToSchema(), dense);
        var td = ml.Transforms.BatchNormalize("Y", "Features").Fit(denseView);
        var ts = ml.Transforms.BatchNormalize("Y", "Features").Fit(sparseView);
        Assert.Equal(td.Mean, ts.Mean);
        Assert.Equal(td.Variance, ts.Variance);
        var yd = TestData.ReadVectors(td.Transform(denseView), "Y");
        var ys = TestData.ReadVectors(ts.Transform(sparseView), "Y");
        Assert.Equal(yd, ys);
    }

    /// <summary>A view whose vectors are sparse VBuffers.</summary>
    private sealed class SparseView(DataViewSchema schema, float[][] rows) : IDataView
    {
        public bool CanShuffle => false;
        public DataViewSchema Schema => schema;
        public long? GetRowCount() => rows.Length;
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new C(schema, rows);
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new C(schema, rows)];

        private sealed class C(DataViewSchema schema, float[][] rows) : DataViewRowCursor
        {
            private int _pos = -1;
            public override DataViewSchema Schema => schema;
            public override long Position => _pos;
            public override long Batch => 0;
            public override bool MoveNext() => ++_pos < rows.Length;
            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_pos, 0);
            public override bool IsColumnActive(DataViewSchema.Column column) => true;
            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                ValueGetter<VBuffer<float>> g = (ref VBuffer<float> dst) =>
                {
                    var r = rows[_pos];
                    var idx = Enumerable.Range(0, r.Length).Where(i => r[i] != 0).ToArray();
                    dst = new VBuffer<float>(r.Length, idx.Length, idx.Select(i => r[i]).ToArray(), idx);
                };
                return (ValueGetter<TValue>)(Delegate)g;
            }
        }
    }

    private static (ITransformer Model, IDataView Data) FitIrisPipeline(MLContext ml)
    {
        var data = TestData.LoadIris(ml);
        var pipeline = ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth")
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.Transforms.BatchNormalize("Features", epsilon: 1e-3f, gamma: [1.5f], beta: [0.25f]));
        return (pipeline.Fit(data), data);
    }

    private static byte[] SaveToBytes(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var ms = new MemoryStream();
        ml.Model.Save(model, schema, ms);
        return ms.ToArray();
    }

    [Fact]
    public void PipelineSaveLoadRoundTripIsExact()
    {
        var ml = new MLContext(1);
        var (model, data) = FitIrisPipeline(ml);
        var bytes = SaveToBytes(ml, model, data.Schema);
        var before = TestData.ReadVectors(model.Transform(data), "Features");

        var ml2 = new MLContext(2);
        TransformsRegistration.Register(ml2);
        TransformsRegistration.Register(ml2); // idempotent
        var loaded = ml2.Model.Load(new MemoryStream(bytes), out var inputSchema);
        Assert.NotNull(inputSchema);
        var chain = Assert.IsType<TransformerChain<ITransformer>>(loaded);
        var bn = Assert.IsType<BatchNormalizingTransformer>(chain.Last());
        Assert.Equal(1e-3f, bn.Epsilon);
        Assert.Equal(1.5f, bn.Gamma[3]);
        var after = TestData.ReadVectors(loaded.Transform(TestData.LoadIris(ml2)), "Features");
        Assert.Equal(150, after.Length);
        Assert.Equal(before, after);
        // Mean of the output is beta, std is about gamma (unbiased).
        for (int i = 0; i < 4; i++)
            Assert.Equal(0.25, before.Average(r => (double)r[i]), 4);
    }

    [Fact]
    public void LoadWithoutRegistrationFailsWithFormatException()
    {
        var ml = new MLContext(1);
        var (model, data) = FitIrisPipeline(ml);
        var bytes = SaveToBytes(ml, model, data.Schema);
        var fresh = new MLContext(3);
        // ML.NET loads the chain by reflection, so its FormatException arrives wrapped
        // (InvalidOperationException "Error during class instantiation" → TargetInvocationException → FormatException).
        var ex = Assert.ThrowsAny<Exception>(() => fresh.Model.Load(new MemoryStream(bytes), out _));
        var fe = Chain(ex).OfType<FormatException>().FirstOrDefault();
        Assert.True(fe is not null, ex.ToString());
        Assert.Contains("Couldn't load model", fe!.Message);
    }

    [Fact]
    public void PredictionEngineMatchesTransform()
    {
        var ml = new MLContext(1);
        var (model, data) = FitIrisPipeline(ml);
        var expected = TestData.ReadVectors(model.Transform(data), "Features");
        var engine = ml.Model.CreatePredictionEngine<IrisInput, IrisOutput>(model, inputSchema: data.Schema);
        var raw = ml.Data.CreateEnumerable<IrisInput>(data, reuseRowObject: false).ToArray();
        for (int r = 0; r < raw.Length; r++)
            Assert.Equal(expected[r], engine.Predict(raw[r]).Features);
    }

    public sealed class IrisInput
    {
        public float SepalLength { get; set; }
        public float SepalWidth { get; set; }
        public float PetalLength { get; set; }
        public float PetalWidth { get; set; }
        public float Label { get; set; }
    }

    public sealed class IrisOutput
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void OutputKeepsSlotNamesAndHidesInput()
    {
        var ml = new MLContext(1);
        var data = TestData.LoadIris(ml);
        var concat = ml.Transforms.Concatenate("Features", "SepalLength", "SepalWidth", "PetalLength", "PetalWidth").Fit(data).Transform(data);
        var est = ml.Transforms.BatchNormalize("Features");
        var shape = est.GetOutputSchema(MLNetBridge.ShapeOf(concat.Schema));
        Assert.True(MLNetBridge.TryFindColumn(shape, "Features", out var sc));
        Assert.True(MLNetBridge.TryFindColumn(sc.Annotations, "SlotNames", out _));
        Assert.True(MLNetBridge.TryFindColumn(sc.Annotations, "IsNormalized", out _));
        var t = est.Fit(concat);
        var outSchema = t.GetOutputSchema(concat.Schema);
        Assert.Equal(concat.Schema.Count + 1, outSchema.Count);
        var col = outSchema["Features"];
        Assert.Equal(concat.Schema.Count, col.Index);
        VBuffer<ReadOnlyMemory<char>> names = default;
        col.GetSlotNames(ref names);
        Assert.Equal(["SepalLength", "SepalWidth", "PetalLength", "PetalWidth"], names.DenseValues().Select(n => n.ToString()).ToArray());
        Assert.True(outSchema[concat.Schema["Features"].Index].IsHidden);
    }

    [Fact]
    public void SchemaErrorsNameTheColumnAndExpectedType()
    {
        var ml = new MLContext(1);
        var data = TestData.LoadIris(ml);
        var missing = ml.Transforms.BatchNormalize("Y", "Nope");
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => missing.Fit(data));
        Assert.Contains("'Nope'", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => missing.GetOutputSchema(MLNetBridge.ShapeOf(data.Schema)));
        Assert.Contains("'Nope'", e2.Message);

        var text = ml.Data.LoadFromEnumerable(new[] { new TextRow { S = "a" }, new TextRow { S = "b" } });
        var wrong = ml.Transforms.BatchNormalize("Y", "S");
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => wrong.Fit(text));
        Assert.Contains("'S'", e3.Message);
        Assert.Contains("Single", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => wrong.GetOutputSchema(MLNetBridge.ShapeOf(text.Schema)));
        Assert.Contains("expected a Single", e4.Message);

        // A fitted transformer applied to data without its column.
        var t = ml.Transforms.BatchNormalize("Y", "SepalLength").Fit(data);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.GetOutputSchema(text.Schema));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Transform(text));
    }

    public sealed class TextRow
    {
        public string S { get; set; } = "";
    }

    [Fact]
    public void NaNInTrainingDataNamesColumnAndRow()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { 1f, 2f, float.NaN, 4f }.Select(v => new ScalarRow { X = v }));
        var ex = Assert.Throws<InvalidOperationException>(() => ml.Transforms.BatchNormalize("X").Fit(data));
        Assert.Contains("'X'", ex.Message);
        Assert.Contains("row 2", ex.Message);
        Assert.Contains("NaN", ex.Message);
        var one = ml.Data.LoadFromEnumerable(new[] { new ScalarRow { X = 1 } });
        Assert.Throws<InvalidOperationException>(() => ml.Transforms.BatchNormalize("X").Fit(one));
        var gammaWrong = ml.Transforms.BatchNormalize("Features", gamma: [1f, 2f]);
        Assert.Throws<InvalidOperationException>(() => gammaWrong.Fit(TestData.FromMatrix(ml, [[1, 2, 3, 4], [2, 3, 4, 5]])));
    }

    // ---- corrupt payloads -------------------------------------------------------------------

    /// <summary>Rewrites the zip entry that holds our payload; <paramref name="edit"/> gets the entry bytes and the payload offset.</summary>
    private static byte[] EditPayload(byte[] zip, Func<byte[], int, byte[]> edit)
    {
        var entries = new List<(string Name, byte[] Data)>();
        using (var za = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read))
        {
            foreach (var e in za.Entries)
            {
                using var s = e.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                entries.Add((e.FullName, ms.ToArray()));
            }
        }
        bool found = false;
        using var outMs = new MemoryStream();
        using (var zw = new ZipArchive(outMs, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                byte[] d = data;
                int at = data.AsSpan().IndexOf("MNBP"u8);
                if (at >= 0)
                {
                    d = edit(data, at);
                    found = true;
                }
                var e = zw.CreateEntry(name);
                using var s = e.Open();
                s.Write(d);
            }
        }
        Assert.True(found, "payload not found in model.zip");
        return outMs.ToArray();
    }

    private static Exception LoadCorrupt(byte[] zip)
    {
        var ml = new MLContext(1);
        TransformsRegistration.Register(ml);
        return Assert.ThrowsAny<Exception>(() => ml.Model.Load(new MemoryStream(zip), out _));
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x != null; x = x.InnerException)
            yield return x;
    }

    [Fact]
    public void UneditedRezipLoads()
    {
        var ml = new MLContext(1);
        var (model, data) = FitIrisPipeline(ml);
        var zip = EditPayload(SaveToBytes(ml, model, data.Schema), (d, _) => d);
        var ml2 = new MLContext(1);
        TransformsRegistration.Register(ml2);
        Assert.IsType<BatchNormalizingTransformer>(((TransformerChain<ITransformer>)ml2.Model.Load(new MemoryStream(zip), out _)).Last());
    }

    [Theory]
    [InlineData(0, "magic")]          // magic
    [InlineData(5, "frame version")]
    [InlineData(9, "kind length")]
    [InlineData(14, "checksum")]      // inside the kind string
    [InlineData(21, "checksum")]      // body version (kind "BatchNorm" is 9 bytes: version at 21, length at 25)
    [InlineData(29, "body length")]   // body length: a high byte set -> out of range
    [InlineData(25, "checksum")]      // body length low byte: fewer bytes -> checksum, more -> checksum or "remain"
    [InlineData(60, "checksum")]      // body
    [InlineData(200, "checksum")]     // body (statistics)
    [InlineData(-5, "checksum")]      // in the checksum itself (offset from the end of the frame)
    public void FlippedBitInPayloadIsDetected(int offset, string expectedWord)
    {
        var ml = new MLContext(1);
        var (model, data) = FitIrisPipeline(ml);
        var zip = EditPayload(SaveToBytes(ml, model, data.Schema), (d, at) =>
        {
            var copy = (byte[])d.Clone();
            int frameLen = PayloadLength(d, at);
            int pos = offset >= 0 ? at + offset : at + frameLen + offset;
            copy[pos] ^= 0x10;
            return copy;
        });
        var ex = LoadCorrupt(zip);
        var bad = Chain(ex).FirstOrDefault(x => x is InvalidDataException or FormatException);
        Assert.True(bad is not null, ex.ToString());
        var ide = Chain(ex).OfType<InvalidDataException>().FirstOrDefault();
        Assert.True(ide is not null, ex.ToString());
        Assert.Contains("BatchNorm payload", ide!.Message);
        if (expectedWord != "checksum")
            Assert.Contains(expectedWord, ide.Message);
        else
            Assert.True(ide.Message.Contains("checksum") || ide.Message.Contains("remain"), ide.Message);
    }

    [Fact]
    public void EveryBitFlipOfTheFrameIsDetected()
    {
        var ml = new MLContext(1);
        var (model, _) = FitIrisPipeline(ml);
        var bn = (BatchNormalizingTransformer)((IEnumerable<ITransformer>)model).Last();
        byte[] frame = bn.WritePayload().ToArray();
        var ok = BatchNormalizingTransformer.ReadPayload(ml, PayloadReader.FromBytes(frame, "BatchNorm", 1, 1));
        Assert.Equal(bn.Mean, ok.Mean);
        for (int bit = 0; bit < frame.Length * 8; bit++)
        {
            var copy = (byte[])frame.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            var ex = Assert.ThrowsAny<InvalidDataException>(() => PayloadReader.FromBytes(copy, "BatchNorm", 1, 1));
            Assert.StartsWith("BatchNorm payload", ex.Message);
        }
        for (int len = 0; len < frame.Length; len++)
        {
            var ex = Assert.ThrowsAny<InvalidDataException>(() => PayloadReader.FromBytes(frame[..len], "BatchNorm", 1, 1));
            Assert.StartsWith("BatchNorm payload", ex.Message);
        }
    }

    [Fact]
    public void TruncatedPayloadInZipIsDetected()
    {
        var ml = new MLContext(1);
        var (model, data) = FitIrisPipeline(ml);
        var zip = EditPayload(SaveToBytes(ml, model, data.Schema), (d, at) => d[..(at + 40)]);
        var ex = LoadCorrupt(zip);
        Assert.Contains(Chain(ex), x => x is InvalidDataException or FormatException);
    }

    private static int PayloadLength(byte[] d, int at)
    {
        int kindLen = BitConverter.ToInt32(d, at + 8);
        long body = BitConverter.ToInt64(d, at + 16 + kindLen);
        return (int)(24 + kindLen + body + 32);
    }
}
