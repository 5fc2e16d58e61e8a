using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetBackprop.Bench;

/// <summary>
/// Fashion-MNIST, official 60,000/10,000 split, pixels / 255: MLP 784-256-128-10 ReLU + softmax CE +
/// Adam(1e-3), batch 128, E epochs. Ours (Network + NetworkTrainer, one epoch per Train call) vs
/// TorchSharp (tensors built once; randperm + index_select per batch, as in <see cref="EpochBench"/>),
/// both starting from the same initial weights (ours, copied transposed into torch's nn.Linear).
/// Data order is each engine's own shuffle (ours: its CounterRandom; torch: randperm) — the harness
/// has no shared permutation. Then our trainer through ML.NET (Mlp, NormalizeFeatures on).
/// </summary>
public static class FashionBench
{
    public const string TrainPath = "/work/shared/datasets/fashion_mnist_train.csv.gz";
    public const string TestPath = "/work/shared/datasets/fashion_mnist_test.csv.gz";
    public const double PublishedMlp = 0.8833; // Fashion-MNIST README: MLP 256-128-100, no preprocessing
    const int Inputs = 784, Classes = 10, Batch = 128;
    static readonly int[] Hidden = [256, 128];

    /// <summary>Reads one split: header row, 784 pixel columns (0–255), label in the last column. Pixels / 255.</summary>
    public static (float[] X, float[] Y) Load(string path)
    {
        var xs = new List<float>(60_000 * Inputs);
        var ys = new List<float>(60_000);
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        string? line;
        bool first = true;
        while ((line = reader.ReadLine()) is not null)
        {
            if (first) { first = false; if (line.StartsWith("pixel", StringComparison.Ordinal)) continue; }
            var parts = line.Split(',');
            if (parts.Length != Inputs + 1) throw new InvalidDataException($"{path}: expected {Inputs + 1} columns, got {parts.Length}.");
            for (int i = 0; i < Inputs; i++) xs.Add(float.Parse(parts[i]) / 255f);
            ys.Add(float.Parse(parts[Inputs]));
        }
        return ([.. xs], [.. ys]);
    }

    static void Line(TextWriter md, string line)
    {
        Console.WriteLine(line);
        md.WriteLine(line);
        md.Flush();
    }

    static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    static double Median(List<double> v)
    {
        var s = v.OrderBy(t => t).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static void Run(int[] threadCounts, int epochs, TextWriter md)
    {
        if (!File.Exists(TrainPath) || !File.Exists(TestPath))
        {
            Line(md, $"Fashion-MNIST not found ({TrainPath}, {TestPath}): skipped.");
            return;
        }
        var sw = Stopwatch.StartNew();
        var (xTr, yTr) = Load(TrainPath);
        var (xTe, yTe) = Load(TestPath);
        Console.WriteLine($"loaded {yTr.Length:N0} train / {yTe.Length:N0} test rows in {sw.Elapsed.TotalSeconds:F1} s");

        md.WriteLine($"Fashion-MNIST {yTr.Length:N0} train / {yTe.Length:N0} test, pixels/255, 784-256-128-10 ReLU + softmax CE + Adam(1e-3), batch {Batch}, " +
                     $"{epochs} epochs from the same initial weights (ours copied into torch); each engine shuffles with its own RNG. " +
                     $"Per-epoch time: median (min–max) of all {epochs} epochs (the first includes JIT/warm-up). Published reference (Fashion-MNIST README, MLP 256-128-100, no preprocessing): {PublishedMlp:P2}.");
        md.WriteLine();
        md.WriteLine("| threads | ours s/epoch (min–max) | torch s/epoch (min–max) | ours/torch | ours test acc | torch test acc | published MLP | ours final train loss | torch final train loss | load avg (start → end) |");
        md.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (int t in threadCounts)
        {
            string la0 = LoadAverage();
            var init = new Network(new NetworkSpec { InputSize = Inputs, HiddenLayers = Hidden, OutputSize = Classes, Activation = Activation.Relu }, seed: 1);
            var (tTimes, tAcc, tLoss) = Torch(init, xTr, yTr, xTe, yTe, t, epochs);
            var (oTimes, oAcc, oLoss) = Ours(xTr, yTr, xTe, yTe, t, epochs);
            double om = Median(oTimes), tm = Median(tTimes);
            Line(md, $"| {t} | {om:F3} ({oTimes.Min():F3}–{oTimes.Max():F3}) | {tm:F3} ({tTimes.Min():F3}–{tTimes.Max():F3}) | {om / tm:F2} | " +
                     $"{oAcc:P2} | {tAcc:P2} | {PublishedMlp:P2} | {oLoss:F4} | {tLoss:F4} | {la0} → {LoadAverage()} |");
        }
        md.WriteLine();

        md.WriteLine($"Our trainer through ML.NET: `MulticlassClassification.Trainers.Mlp`, HiddenLayers [256, 128], {epochs} epochs, batch {Batch}, Adam(1e-3), " +
                     "NormalizeFeatures on, L2 0, no early stopping, Seed 1; wall time of `Fit` (includes reading the IDataView and the feature statistics); accuracy = `Evaluate` MicroAccuracy on the test split.");
        md.WriteLine();
        md.WriteLine("| threads | Fit s | test accuracy | published MLP | load avg (end) |");
        md.WriteLine("|---|---|---|---|---|");
        foreach (int t in threadCounts)
        {
            Kernels.MaxThreads = t;
            var ml = new MLContext(1);
            var train = ToDataView(ml, xTr, yTr);
            var test = ToDataView(ml, xTe, yTe);
            var est = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options(MlpPreset.Classic)
            {
                HiddenLayers = Hidden,
                Epochs = epochs,
                BatchSize = Batch,
                Optimizer = Optimizer.Adam(1e-3),
                FeatureNormalization = FeatureNormalization.Standard, // = the former NormalizeFeatures = true
                L2 = 0,
                EarlyStopping = null,
                Seed = 1,
                NumberOfThreads = t,
            }));
            var s = Stopwatch.StartNew();
            var model = est.Fit(train);
            double fit = s.Elapsed.TotalSeconds;
            var m = ml.MulticlassClassification.Evaluate(model.Transform(test));
            Line(md, $"| {t} | {fit:F2} | {m.MicroAccuracy:P2} | {PublishedMlp:P2} | {LoadAverage()} |");
        }
    }

    static IDataView ToDataView(MLContext ml, float[] x, float[] y)
    {
        var rows = new List<ScoringBench.Row>(y.Length);
        for (int r = 0; r < y.Length; r++) rows.Add(new ScoringBench.Row { Features = x.AsSpan(r * Inputs, Inputs).ToArray(), Label = y[r] });
        var schema = SchemaDefinition.Create(typeof(ScoringBench.Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Inputs);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    static (List<double> Times, double Acc, double Loss) Ours(float[] xTr, float[] yTr, float[] xTe, float[] yTe, int threads, int epochs)
    {
        Kernels.MaxThreads = threads;
        var net = new Network(new NetworkSpec { InputSize = Inputs, HiddenLayers = Hidden, OutputSize = Classes, Activation = Activation.Relu }, seed: 1);
        var trainer = new NetworkTrainer(net, new TrainingSettings { Epochs = 1, BatchSize = Batch, Optimizer = Optimizer.Adam(1e-3), Seed = 1 });
        var data = new Dataset(new Matrix(yTr.Length, Inputs, xTr), yTr);
        var times = new List<double>();
        double loss = double.NaN;
        for (int e = 0; e < epochs; e++)
        {
            var sw = Stopwatch.StartNew();
            loss = trainer.Train(data).Epochs[^1].TrainLoss;
            times.Add(sw.Elapsed.TotalSeconds);
        }
        // Test accuracy: argmax of the logits, in blocks.
        var inf = new InferenceNetwork(net);
        const int block = 1000;
        var scratch = inf.CreateBatchScratch(block);
        var outM = new Matrix(block, Classes);
        int correct = 0, n = yTe.Length;
        for (int start = 0; start < n; start += block)
        {
            int rows = Math.Min(block, n - start);
            var xb = new Matrix(rows, Inputs, xTe.AsSpan(start * Inputs, rows * Inputs).ToArray());
            inf.ForwardBatch(xb, rows, outM, scratch);
            for (int r = 0; r < rows; r++)
            {
                var o = outM.Row(r);
                int best = 0;
                for (int c = 1; c < Classes; c++) if (o[c] > o[best]) best = c;
                if (best == (int)yTe[start + r]) correct++;
            }
        }
        return (times, (double)correct / n, loss);
    }

    static (List<double> Times, double Acc, double Loss) Torch(Network init, float[] xTr, float[] yTr, float[] xTe, float[] yTe, int threads, int epochs)
    {
        torch.set_num_threads(threads);
        torch.manual_seed(1);
        int rows = yTr.Length;
        using var x = torch.tensor(xTr, [rows, Inputs]);
        using var y = torch.tensor(yTr.Select(v => (long)v).ToArray(), [rows]);
        var linears = new List<TorchSharp.Modules.Linear>();
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int w = Inputs;
        int[] widths = [.. Hidden, Classes];
        for (int i = 0; i < widths.Length; i++)
        {
            var lin = nn.Linear(w, widths[i]);
            linears.Add(lin);
            layers.Add(($"fc{i}", lin));
            if (i < Hidden.Length) layers.Add(($"relu{i}", nn.ReLU()));
            w = widths[i];
        }
        var model = nn.Sequential(layers);
        // Same initial weights: our W is [in × out] row-major, torch's weight is [out × in].
        using (torch.no_grad())
            for (int i = 0; i < linears.Count; i++)
            {
                var d = init.DenseLayers[i];
                using var wt = torch.tensor(d.Weight.Value, [d.InputSize, d.OutputSize]);
                using var wtt = wt.t().contiguous();
                linears[i].weight!.copy_(wtt);
                using var b = torch.tensor(d.Bias.Value, [d.OutputSize]);
                linears[i].bias!.copy_(b);
            }
        var opt = torch.optim.Adam(model.parameters(), lr: 1e-3);
        var times = new List<double>();
        double lastLoss = 0;
        for (int e = 0; e < epochs; e++)
        {
            var sw = Stopwatch.StartNew();
            double lossSum = 0;
            using (var perm = torch.randperm(rows, dtype: int64))
                for (int start = 0; start < rows; start += Batch)
                {
                    using var scope = torch.NewDisposeScope();
                    int len = Math.Min(Batch, rows - start);
                    var idx = perm.narrow(0, start, len);
                    opt.zero_grad();
                    var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, idx)), y.index_select(0, idx));
                    loss.backward();
                    opt.step();
                    lossSum += loss.item<float>() * len;
                }
            times.Add(sw.Elapsed.TotalSeconds);
            lastLoss = lossSum / rows;
        }
        double acc;
        model.eval();
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            var xt = torch.tensor(xTe, [yTe.Length, Inputs]);
            var yt = torch.tensor(yTe.Select(v => (long)v).ToArray(), [yTe.Length]);
            var pred = model.forward(xt).argmax(1);
            acc = pred.eq(yt).sum().item<long>() / (double)yTe.Length;
        }
        opt.Dispose();
        model.Dispose();
        return (times, acc, lastLoss);
    }
}
