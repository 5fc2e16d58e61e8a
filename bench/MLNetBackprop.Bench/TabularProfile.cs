using System.Diagnostics;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Bench;

/// <summary>
/// `tabprof` mode: our 16-256-128-26 epoch (20,000 rows, batch 128, Adam) only, no torch, many epochs,
/// plus a per-batch breakdown on a fixed batch (GEMMs alone, forward+loss+backward, optimizer step,
/// gather). Meant for quick A/B runs of two builds (run each build's dll alternately).
/// </summary>
public static class TabularProfile
{
    /// <summary>As <see cref="ScoringBench.OursEpoch"/>, with <paramref name="warmup"/> warm-up epochs (5 by default: tiered JIT settles).</summary>
    private static Stats OursEpoch(float[] x, float[] y, int inputs, int[] hidden, int classes, int batch, int threads, int epochs, int warmup)
    {
        Kernels.MaxThreads = threads;
        var net = new Network(new NetworkSpec { InputSize = inputs, HiddenLayers = hidden, OutputSize = classes }, seed: 1);
        var trainer = new NetworkTrainer(net, new TrainingSettings { Epochs = 1, BatchSize = batch, Optimizer = Optimizer.Adam(1e-3), Seed = 1 });
        var data = new Dataset(new Matrix(y.Length, inputs, x), y);
        return Harness.Repeat(() => trainer.Train(data), warmup, epochs);
    }

    private static void Line(TextWriter md, string line)
    {
        Console.WriteLine(line);
        md.WriteLine(line);
        md.Flush();
    }

    public static void Run(int[] threadCounts, int epochs, int reps, TextWriter md, int warmup = 5)
    {
        const int rows = 20_000, inputs = 16, classes = 26, batch = 128;
        int[] hidden = [256, 128];
        var (x, y) = ScoringBench.Teacher(rows, inputs, classes);
        md.WriteLine("| threads | ours epoch s median (min–max) | GEMMs µs/batch | fwd+loss+bwd µs/batch | step µs/batch | gather µs/batch |");
        md.WriteLine("|---|---|---|---|---|---|");
        foreach (int threads in threadCounts)
        {
            var ep = OursEpoch(x, y, inputs, hidden, classes, batch, threads, epochs, warmup);
            if (reps == 0)
            {
                Line(md, $"| {threads} | {ep.Median:F4} ({ep.Min:F4}–{ep.Max:F4}) | | | | |");
                continue;
            }

            Kernels.MaxThreads = threads;
            var network = new Network(new NetworkSpec { InputSize = inputs, HiddenLayers = hidden, OutputSize = classes }, seed: 1);
            var state = Optimizer.Adam(1e-3).CreateState(network.Parameters);
            var xb = new Matrix(batch, inputs, x.AsSpan(0, batch * inputs).ToArray());
            var yb = y.AsSpan(0, batch).ToArray();
            int[] l = [inputs, .. hidden, classes];
            var bufs = Enumerable.Range(0, l.Length - 1).Select(i => (
                X: new float[batch * l[i]], W: new float[l[i] * l[i + 1]], Y: new float[batch * l[i + 1]],
                dW: new float[l[i] * l[i + 1]], dX: new float[batch * l[i]])).ToArray();
            void Gemms()
            {
                for (int i = 0; i < bufs.Length; i++)
                    Kernels.MatMul(bufs[i].X, bufs[i].W, bufs[i].Y, batch, l[i], l[i + 1]);
                for (int i = bufs.Length - 1; i >= 0; i--)
                {
                    Kernels.MatMulTransposeA(bufs[i].X, bufs[i].Y, bufs[i].dW, l[i], batch, l[i + 1]);
                    if (i > 0) Kernels.MatMulTransposeB(bufs[i].Y, bufs[i].W, bufs[i].dX, batch, l[i + 1], l[i]);
                }
            }
            var data = new Dataset(new Matrix(rows, inputs, x), y);
            var order = new RowOrder(1, 0, true, null);
            void Gather()
            {
                foreach (var b in data.Batches(order, batch)) { }
            }
            var st = Harness.Interleaved([Gemms, () => network.ComputeGradients(xb, yb, default), () => state.Step(1e-3), Gather], reps);
            int batches = (rows + batch - 1) / batch;
            string line = $"| {threads} | {ep.Median:F4} ({ep.Min:F4}–{ep.Max:F4}) | {st[0].Median * 1e6:F1} | {st[1].Median * 1e6:F1} | {st[2].Median * 1e6:F1} | {st[3].Median * 1e6 / batches:F2} |";
            Line(md, line);
        }
    }

    /// <summary>
    /// The tabular recipe's network (MlpPresets.Tabular: periodic embeddings of the numeric features, a learned
    /// per-feature scale, 64-64 SELU with the neural-tangent parametrization, batch 256, label smoothing), layer by
    /// layer: each layer's forward and backward time per batch, the loss, the step and the gather (one ensemble
    /// member; the members of an ensemble train in parallel, each on its share of the threads).
    /// </summary>
    public static void RecipeLayers(int[] threadCounts, int epochs, TextWriter md)
    {
        const int rows = 20_000, inputs = 40, embedded = 12, classes = 2, batch = 256;
        var (x, y) = ScoringBench.Teacher(rows, inputs, classes);
        double peak = LayerProfile.MeasurePeak();
        var spec = new NetworkSpec
        {
            InputSize = inputs, HiddenLayers = [64, 64], OutputSize = classes, Activation = Activation.Selu,
            Parametrization = Parametrization.NeuralTangent, InputScaling = true,
            EmbeddedFeatures = Enumerable.Range(0, embedded).ToArray(), LabelSmoothing = 0.1f,
        };
        Line(md, $"Tabular recipe network: {inputs} features ({embedded} numeric, periodic embeddings of {spec.EmbeddingFrequencies} frequencies → {spec.EmbeddingOutputs} values each), " +
                 $"feature scales, 64-64 SELU, neural-tangent, batch {batch}, {rows:N0} rows, {epochs} epochs after 1 untimed; one core's peak {peak:F0} GFLOP/s; {LayerProfile.Machine()}");
        md.WriteLine();
        foreach (var h in LayerProfile.Header()) Line(md, h);
        foreach (int threads in threadCounts)
            foreach (var line in LayerProfile.Run(new Network(spec, seed: 1), x, y, rows, batch, threads, epochs, peak * threads)) Line(md, line);
    }
}
