using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetBackprop.Bench;

/// <summary>
/// Scoring (single-row PredictionEngine latency, batch Transform throughput), the small tabular net
/// against TorchSharp and ML.NET's own trainers, cost curves, and allocation per batch.
/// </summary>
public static class ScoringBench
{
    public sealed class Row
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    /// <summary>Synthetic classification data: features in [0,1), labels argmax of tanh(x·W1)·W2 (a random teacher).</summary>
    public static (float[] X, float[] Y) Teacher(int rows, int inputs, int classes, int seed = 7)
    {
        var rng = new Random(seed);
        var x = new float[rows * inputs];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        int h = 32;
        var w1 = Enumerable.Range(0, inputs * h).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 3f / MathF.Sqrt(inputs)).ToArray();
        var w2 = Enumerable.Range(0, h * classes).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var y = new float[rows];
        var hid = new float[h];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < h; j++)
            {
                float s = 0;
                for (int i = 0; i < inputs; i++) s += x[r * inputs + i] * w1[i * h + j];
                hid[j] = MathF.Tanh(s);
            }
            int best = 0; float bestV = float.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                float s = 0;
                for (int j = 0; j < h; j++) s += hid[j] * w2[j * classes + c];
                if (s > bestV) { bestV = s; best = c; }
            }
            y[r] = best;
        }
        return (x, y);
    }

    /// <summary>Fashion-MNIST train split from /work/shared/datasets when present (header row, 784 pixels, label last; pixels scaled to [0,1]), first <paramref name="maxRows"/> rows.</summary>
    public static (float[] X, float[] Y)? FashionMnist(int maxRows)
    {
        if (!File.Exists(FashionBench.TrainPath)) return null;
        var (x, y) = FashionBench.Load(FashionBench.TrainPath);
        int n = Math.Min(maxRows, y.Length);
        return (x[..(n * 784)], y[..n]);
    }

    private static IDataView ToDataView(MLContext ml, float[] x, float[] y, int inputs, int classes, int from, int count)
    {
        var rows = new List<Row>(count);
        for (int r = from; r < from + count; r++)
            rows.Add(new Row { Features = x.AsSpan(r * inputs, inputs).ToArray(), Label = y[r] });
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, inputs);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private static nn.Module<Tensor, Tensor> TorchMlp(int inputs, int[] hidden, int classes)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int w = inputs;
        for (int i = 0; i < hidden.Length; i++)
        {
            layers.Add(($"fc{i}", nn.Linear(w, hidden[i])));
            layers.Add(($"relu{i}", nn.ReLU()));
            w = hidden[i];
        }
        layers.Add(("out", nn.Linear(w, classes)));
        return nn.Sequential(layers);
    }

    private static MlpMulticlassTrainer.Options MlpOptions(int[] hidden, int epochs, int batch, int threads) => new(MlpPreset.Classic)
    {
        HiddenLayers = hidden,
        Epochs = epochs,
        BatchSize = batch,
        Seed = 1,
        EarlyStopping = null,
        NumberOfThreads = threads,
    };

    private static void Line(TextWriter md, string line)
    {
        Console.WriteLine(line);
        md.WriteLine(line);
        md.Flush();
    }

    // ---- Single-row latency and batch throughput ----

    /// <summary>Rows scored per throughput sample.</summary>
    public const int ThroughputRows = 60_000;

    public static void RunScoring(int[] threadCounts, int reps, TextWriter md)
    {
        md.WriteLine($"Throughput over {ThroughputRows:N0} in-memory rows (LoadFromEnumerable); \"cursor alone\" = the same view's cursor reading Features, no model.");
        md.WriteLine();
        md.WriteLine("| threads | net | ours PredictionEngine.Predict µs (min–max) | ours InferenceNetwork.Predict µs | torch single-row forward µs (min–max) | ours/torch latency | ours Transform rows/s (min–max) | torch batch-1024 rows/s (min–max) | ours/torch throughput | cursor alone rows/s |");
        md.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (int threads in threadCounts)
            foreach (var (inputs, hidden, classes) in new[] { (16, new[] { 64 }, 26), (784, new[] { 256, 128 }, 10) })
            {
                torch.set_num_threads(threads);
                Kernels.MaxThreads = threads;
                int trainRows = 4096, rows = ThroughputRows;
                var (x, y) = Teacher(rows, inputs, classes);
                var ml = new MLContext(1);
                var train = ToDataView(ml, x, y, inputs, classes, 0, trainRows);
                var dv = ToDataView(ml, x, y, inputs, classes, 0, rows);
                // Train through MapValueToKey, then score with the Mlp transformer alone (it reads only Features).
                var model = ml.Transforms.Conversion.MapValueToKey("Label")
                    .Append(ml.MulticlassClassification.Trainers.Mlp(MlpOptions(hidden, 1, 64, threads))).Fit(train).LastTransformer;
                var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
                var row = new Row { Features = x.AsSpan(0, inputs).ToArray(), Label = 1f };
                var pred = new Prediction();
                // The engine-level path alone (same architecture; the model's own network is internal).
                var inference = new InferenceNetwork(new Network(new NetworkSpec { InputSize = inputs, HiddenLayers = hidden, OutputSize = classes }, seed: 1));
                var scratch = inference.CreateScratch();
                var outBuf = new float[classes];
                var stdRow = row.Features;

                var tm = TorchMlp(inputs, hidden, classes);
                tm.eval();
                var xt = torch.tensor(row.Features, [1, inputs]);
                var tOut = new float[classes];
                void TorchOne()
                {
                    using var _ = torch.no_grad();
                    using var scope = torch.NewDisposeScope();
                    var o = nn.functional.softmax(tm.forward(xt), 1);
                    o.data<float>().CopyTo(tOut);
                }
                Action[] single = [() => engine.Predict(row, ref pred), () => inference.Predict(stdRow, outBuf, scratch), TorchOne];
                WarmUp(single);
                var st = Harness.Interleaved(single, reps);

                // Throughput: ML.NET Transform over all rows, reading Score (block-scored: a look-ahead cursor + one GEMM per
                // layer per block), vs torch forward + softmax in 1024-row batches of one prebuilt tensor.
                int seen = 0;
                void OursTransform()
                {
                    var scored = model.Transform(dv);
                    using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
                    var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
                    VBuffer<float> s = default;
                    int n = 0;
                    while (cursor.MoveNext()) { getter(ref s); n++; }
                    seen = n;
                }
                void CursorAlone()
                {
                    using var cursor = dv.GetRowCursor([dv.Schema["Features"]]);
                    var getter = cursor.GetGetter<VBuffer<float>>(dv.Schema["Features"]);
                    VBuffer<float> f = default;
                    while (cursor.MoveNext()) getter(ref f);
                }
                var xAll = torch.tensor(x, [rows, inputs]);
                var tAll = new float[rows * classes];
                void TorchBatches()
                {
                    using var _ = torch.no_grad();
                    for (int start = 0; start < rows; start += 1024)
                    {
                        using var scope = torch.NewDisposeScope();
                        var o = nn.functional.softmax(tm.forward(xAll.narrow(0, start, Math.Min(1024, rows - start))), 1);
                        o.data<float>().CopyTo(tAll, start * classes);
                    }
                }
                WarmUp([OursTransform, TorchBatches, CursorAlone]);
                if (seen != rows) throw new InvalidOperationException($"Transform returned {seen} rows, expected {rows}.");
                var tp = Harness.Interleaved([OursTransform, TorchBatches, CursorAlone], Math.Max(3, reps), sampleSeconds: 0.2);
                double oursRps = rows / tp[0].Median, torchRps = rows / tp[1].Median, cursorRps = rows / tp[2].Median;
                string net = $"{inputs}-{string.Join('-', hidden)}-{classes}";
                Line(md, $"| {threads} | {net} | {st[0].Median * 1e6:F2} ({st[0].Min * 1e6:F2}–{st[0].Max * 1e6:F2}) | {st[1].Median * 1e6:F2} | " +
                         $"{st[2].Median * 1e6:F2} ({st[2].Min * 1e6:F2}–{st[2].Max * 1e6:F2}) | {st[0].Median / st[2].Median:F2} | " +
                         $"{oursRps:N0} ({rows / tp[0].Max:N0}–{rows / tp[0].Min:N0}) | {torchRps:N0} ({rows / tp[1].Max:N0}–{rows / tp[1].Min:N0}) | {oursRps / torchRps:F2} | {cursorRps:N0} |");
                xt.Dispose(); xAll.Dispose(); tm.Dispose();
            }
    }

    /// <summary>Runs each candidate for ~1 s so that no sample sees tier-0 or instrumented JIT code
    /// (the background tier-1 compiler is slow to get a core on a loaded 2-core machine).</summary>
    private static void WarmUp(Action[] candidates)
    {
        foreach (var f in candidates)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < 1.0) f();
        }
        Thread.Sleep(200);
    }

    // ---- Small tabular net: epoch vs TorchSharp; ML.NET trainers ----

    public static void RunTabular(int[] threadCounts, int epochs, TextWriter md)
    {
        const int rows = 20_000, inputs = 16, classes = 26, batch = 128;
        int[] hidden = [256, 128];
        var (x, y) = Teacher(rows, inputs, classes);
        md.WriteLine($"Epoch time, {inputs}-256-128-{classes} ReLU + cross-entropy + Adam(1e-3), {rows:N0} rows, batch {batch} (median of {epochs} after 1 warm-up):");
        md.WriteLine();
        md.WriteLine("| threads | ours s/epoch (min–max) | torch s/epoch (min–max) | ours/torch |");
        md.WriteLine("|---|---|---|---|");
        foreach (int threads in threadCounts)
        {
            var ours = OursEpoch(x, y, inputs, hidden, classes, batch, threads, epochs);
            var tor = TorchEpoch(x, y, inputs, hidden, classes, batch, threads, epochs);
            Line(md, $"| {threads} | {ours.Median:F4} ({ours.Min:F4}–{ours.Max:F4}) | {tor.Median:F4} ({tor.Min:F4}–{tor.Max:F4}) | {ours.Median / tor.Median:F2} |");
        }
        md.WriteLine();

        // ML.NET trainers on the same data: 16,000 train / 4,000 test rows.
        md.WriteLine("Training time and held-out accuracy through ML.NET (16,000 train / 4,000 test rows, same data):");
        md.WriteLine();
        md.WriteLine("| threads | trainer | train s | micro accuracy |");
        md.WriteLine("|---|---|---|---|");
        foreach (int threads in threadCounts)
        {
            var ml = new MLContext(1);
            var train = ToDataView(ml, x, y, inputs, classes, 0, 16_000);
            var test = ToDataView(ml, x, y, inputs, classes, 16_000, 4_000);
            IEstimator<ITransformer> Keyed(IEstimator<ITransformer> t) => ml.Transforms.Conversion.MapValueToKey("Label").Append(t);
            var trainers = new (string Name, Func<IEstimator<ITransformer>> Make)[]
            {
                ("Mlp 16-256-128-26, 20 epochs, batch 128 (ours)", () => Keyed(ml.MulticlassClassification.Trainers.Mlp(MlpOptions(hidden, 20, batch, threads)))),
                ("LbfgsMaximumEntropy (defaults)", () => Keyed(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(
                    new Microsoft.ML.Trainers.LbfgsMaximumEntropyMulticlassTrainer.Options { NumberOfThreads = threads }))),
                ("LightGbm (defaults)", () => Keyed(ml.MulticlassClassification.Trainers.LightGbm(
                    new Microsoft.ML.Trainers.LightGbm.LightGbmMulticlassTrainer.Options { NumberOfThreads = threads, Seed = 1 }))),
            };
            foreach (var (name, make) in trainers)
            {
                var sw = Stopwatch.StartNew();
                var model = make().Fit(train);
                double s = sw.Elapsed.TotalSeconds;
                var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
                Line(md, $"| {threads} | {name} | {s:F2} | {metrics.MicroAccuracy:P2} |");
            }
        }
    }

    public static Stats OursEpoch(float[] x, float[] y, int inputs, int[] hidden, int classes, int batch, int threads, int epochs)
    {
        Kernels.MaxThreads = threads;
        var net = new Network(new NetworkSpec { InputSize = inputs, HiddenLayers = hidden, OutputSize = classes }, seed: 1);
        var trainer = new NetworkTrainer(net, new TrainingSettings { Epochs = 1, BatchSize = batch, Optimizer = Optimizer.Adam(1e-3), Seed = 1 });
        var data = new Dataset(new Matrix(y.Length, inputs, x), y);
        return Harness.Repeat(() => trainer.Train(data), 1, epochs);
    }

    public static Stats TorchEpoch(float[] xData, float[] yData, int inputs, int[] hidden, int classes, int batch, int threads, int epochs)
    {
        torch.set_num_threads(threads);
        torch.manual_seed(1);
        int rows = yData.Length;
        using var x = torch.tensor(xData, [rows, inputs]);
        using var y = torch.tensor(yData.Select(v => (long)v).ToArray(), [rows]);
        var model = TorchMlp(inputs, hidden, classes);
        var opt = torch.optim.Adam(model.parameters(), lr: 1e-3);
        void Epoch()
        {
            using var perm = torch.randperm(rows, dtype: int64);
            for (int start = 0; start < rows; start += batch)
            {
                using var scope = torch.NewDisposeScope();
                var idx = perm.narrow(0, start, Math.Min(batch, rows - start));
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, idx)), y.index_select(0, idx));
                loss.backward();
                opt.step();
            }
        }
        var st = Harness.Repeat(Epoch, 1, epochs);
        opt.Dispose();
        model.Dispose();
        return st;
    }

    // ---- Cost curves (ours; torch alongside for the rows curve) ----

    public static void RunCurves(int threads, TextWriter md)
    {
        Kernels.MaxThreads = threads;
        md.WriteLine($"Epoch time (ours, {threads} thread(s), Adam, batch 128, median of 3 after 1 warm-up; 1M-row epochs: median of 1):");
        md.WriteLine();
        md.WriteLine("| curve | setting | rows | net | s/epoch | µs per row | µs per row per MFLOP (fwd+bwd) |");
        md.WriteLine("|---|---|---|---|---|---|---|");
        void Point(string curve, string setting, int rows, int inputs, int[] hidden, int classes)
        {
            var (x, y) = Teacher(rows, inputs, classes);
            var st = OursEpoch(x, y, inputs, hidden, classes, 128, threads, rows >= 1_000_000 ? 1 : 3);
            int[] l = [inputs, .. hidden, classes];
            double flops = 0;
            for (int i = 0; i + 1 < l.Length; i++) flops += 6.0 * l[i] * l[i + 1]; // forward + dW + dX
            double usRow = st.Median / rows * 1e6;
            Line(md, $"| {curve} | {setting} | {rows:N0} | {string.Join('-', l)} | {st.Median:F3} | {usRow:F2} | {usRow / (flops / 1e6):F2} |");
        }
        foreach (int rows in new[] { 10_000, 100_000, 1_000_000 }) Point("rows", $"{rows:N0}", rows, 16, [256, 128], 26);
        foreach (int width in new[] { 64, 256, 1024, 2048 }) Point("width", $"{width}", 10_000, 64, [width, width], 10);
        foreach (int depth in new[] { 1, 2, 4, 8 }) Point("depth", $"{depth}", 10_000, 64, Enumerable.Repeat(256, depth).ToArray(), 10);
    }

    // ---- Allocation per batch ----

    public static void RunAllocations(TextWriter md)
    {
        var (x, y) = EpochBench.MakeData();
        md.WriteLine("| threads | batch | bytes allocated by the training thread per mini-batch (2nd epoch) |");
        md.WriteLine("|---|---|---|");
        foreach (int threads in new[] { 1, 2 })
            foreach (int batch in new[] { 32, 128, 512 })
            {
                Kernels.MaxThreads = threads;
                var net = new Network(new NetworkSpec { InputSize = EpochBench.Inputs, HiddenLayers = EpochBench.Hidden, OutputSize = EpochBench.Classes }, seed: 1);
                var trainer = new NetworkTrainer(net, new TrainingSettings { Epochs = 1, BatchSize = batch, Seed = 1 });
                var data = new Dataset(new Matrix(EpochBench.Rows, EpochBench.Inputs, x), y);
                trainer.Train(data);
                long before = GC.GetAllocatedBytesForCurrentThread();
                trainer.Train(data);
                long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                int batches = (EpochBench.Rows + batch - 1) / batch;
                Line(md, $"| {threads} | {batch} | {(double)bytes / batches:F1} (whole epoch {bytes:N0} B, incl. per-epoch bookkeeping) |");
            }
    }
}
