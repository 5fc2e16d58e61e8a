using MLNetBackprop.Engine;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetBackprop.Bench;

/// <summary>
/// One training epoch of an MLP 784-256-128-10 (ReLU, softmax cross-entropy, Adam lr 1e-3) on
/// 60,000 synthetic rows: TorchSharp (tensors built once; batches by index_select of a shuffled
/// index) and, once the engine's Network/trainer is on this branch, ours on the same data.
/// </summary>
public static class EpochBench
{
    public const int Rows = 60_000, Inputs = 784, Classes = 10;
    public static readonly int[] Hidden = [256, 128];

    /// <summary>Reference epoch times (seconds) for TorchSharp on this machine class when it is quiet.</summary>
    public static readonly Dictionary<int, double> Anchors = new() { [32] = 3.5, [128] = 1.46, [512] = 0.88 };

    /// <summary>Synthetic MNIST-shaped data: features in [0,1), labels from a random linear teacher.</summary>
    public static (float[] X, float[] Y) MakeData(int seed = 42)
    {
        var rng = new Random(seed);
        var x = new float[Rows * Inputs];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var w = new float[Inputs * Classes];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() - 0.5);
        var y = new float[Rows];
        var logits = new float[Classes];
        for (int r = 0; r < Rows; r++)
        {
            Array.Clear(logits);
            for (int p = 0; p < Inputs; p++)
            {
                float v = x[r * Inputs + p];
                for (int c = 0; c < Classes; c++) logits[c] += v * w[p * Classes + c];
            }
            int best = 0;
            for (int c = 1; c < Classes; c++) if (logits[c] > logits[best]) best = c;
            y[r] = best;
        }
        return (x, y);
    }

    public static string Verdict(int batch, double seconds)
    {
        if (!Anchors.TryGetValue(batch, out double anchor)) return "";
        double ratio = seconds / anchor;
        return ratio > 2 || ratio < 0.5 ? $"DISTURBED ({ratio:F2}× anchor {anchor} s)" : $"ok ({ratio:F2}× anchor {anchor} s)";
    }

    /// <summary>TorchSharp epoch timings for each batch size.</summary>
    public static void RunTorch(float[] xData, float[] yData, int[] batches, int threads, int warmup, int reps, TextWriter md)
    {
        torch.set_num_threads(threads);
        torch.manual_seed(1);
        using var x = torch.tensor(xData, [Rows, Inputs]);
        using var y = torch.tensor(yData.Select(v => (long)v).ToArray(), [Rows]);
        foreach (int batch in batches)
        {
            var model = nn.Sequential(
                ("fc1", nn.Linear(Inputs, Hidden[0])), ("relu1", nn.ReLU()),
                ("fc2", nn.Linear(Hidden[0], Hidden[1])), ("relu2", nn.ReLU()),
                ("fc3", nn.Linear(Hidden[1], Classes)));
            var opt = torch.optim.Adam(model.parameters(), lr: 1e-3);
            double lastLoss = 0;
            void Epoch()
            {
                double lossSum = 0;
                using var perm = torch.randperm(Rows, dtype: int64);
                for (int start = 0; start < Rows; start += batch)
                {
                    using var scope = torch.NewDisposeScope();
                    int len = Math.Min(batch, Rows - start);
                    var idx = perm.narrow(0, start, len);
                    var xb = x.index_select(0, idx);
                    var yb = y.index_select(0, idx);
                    opt.zero_grad();
                    var loss = nn.functional.cross_entropy(model.forward(xb), yb);
                    loss.backward();
                    opt.step();
                    lossSum += loss.item<float>() * len;
                }
                lastLoss = lossSum / Rows;
            }
            var st = Harness.Repeat(Epoch, warmup, reps);
            string line = $"| TorchSharp | {threads} | {batch} | {st.Median:F3} | {st.Min:F3}–{st.Max:F3} | {Verdict(batch, st.Median)} | {lastLoss:F4} (epoch mean) |";
            Console.WriteLine(line);
            md.WriteLine(line);
            md.Flush();
            opt.Dispose();
            model.Dispose();
        }
    }

    /// <summary>
    /// Our epoch on the same data and architecture: <see cref="Network"/> (784-256-128-10, ReLU,
    /// softmax cross-entropy) trained by <see cref="NetworkTrainer"/> with Adam(lr 1e-3), one epoch
    /// per <see cref="NetworkTrainer.Train"/> call (shuffle, batch gather, forward, loss, backward, step).
    /// </summary>
    /// <returns>Seconds per epoch and the mean training loss of the last epoch.</returns>
    public static (Stats Time, double Loss)? RunOursEpoch(float[] xData, float[] yData, int batch, int threads, int warmup, int reps)
    {
        Kernels.MaxThreads = threads;
        var spec = new NetworkSpec { InputSize = Inputs, HiddenLayers = Hidden, OutputSize = Classes, Activation = Activation.Relu };
        var network = new Network(spec, seed: 1);
        var trainer = new NetworkTrainer(network, new TrainingSettings
        {
            Epochs = 1,
            BatchSize = batch,
            Optimizer = Optimizer.Adam(1e-3),
            Seed = 1,
        });
        var train = new Dataset(new Matrix(Rows, Inputs, xData), yData);
        double lastLoss = double.NaN;
        var st = Harness.Repeat(() => lastLoss = trainer.Train(train).Epochs[^1].TrainLoss, warmup, reps);
        return (st, lastLoss);
    }

    public static void RunOurs(float[] xData, float[] yData, int[] batches, int threads, int warmup, int reps, TextWriter md)
    {
        Kernels.MaxThreads = threads;
        foreach (int batch in batches)
        {
            var r = RunOursEpoch(xData, yData, batch, threads, warmup, reps);
            string line = r is { } v
                ? $"| ours | {threads} | {batch} | {v.Time.Median:F3} | {v.Time.Min:F3}–{v.Time.Max:F3} | | {v.Loss:F4} (epoch mean) |"
                : $"| ours | {threads} | {batch} | — | — | not available | — |";
            Console.WriteLine(line);
            md.WriteLine(line);
            md.Flush();
        }
    }
}
