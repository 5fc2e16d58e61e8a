// Every optimizer the engine knows (Optimizer.Names) on the same network, data and seed:
// digits, 64 → 64 → 10 ReLU, a few epochs of mini-batch training, each at PyTorch's default
// learning rate, plus plain SGD and momentum at a tuned rate.
// Usage: dotnet run --project samples/OptimizerComparison -c Release [-- --out <folder>]   (default out/optimizer-comparison/;
//        --out docs/images refreshes the README's pictures)
using System.Diagnostics;
using MLNetBackprop;
using MLNetBackprop.Engine;
using MLNetBackprop.Samples;
using ScottPlot;

const int Epochs = 10, BatchSize = 32, Seed = 3;
string outputFolder = OutputFolder.Resolve(args, "optimizer-comparison");
var (train, validation) = Digits.Load();
var spec = new NetworkSpec { InputSize = Digits.Features, HiddenLayers = [64], Activation = Activation.Relu, OutputSize = Digits.Classes };

Console.WriteLine("Optimizer comparison");
Console.WriteLine("====================");
Console.WriteLine($"digits: {train.Rows} training rows, {validation.Rows} validation rows (standardised pixels).");
Console.WriteLine($"Network 64 → 64 → 10, ReLU, He init, softmax cross-entropy; batch {BatchSize}, {Epochs} epochs;");
Console.WriteLine($"the same initial weights and the same batch order (seed {Seed}) for every optimizer.");
Console.WriteLine();

// Every optimizer by name, with its PyTorch default hyper-parameters; then two tuned learning rates.
var candidates = Optimizer.Names.Select(name => (Label: name, Optimizer: Optimizer.FromName(name), Tuned: false)).ToList();
candidates.Add(("sgd, tuned", Optimizer.Sgd(learningRate: 0.1), true));
candidates.Add(("momentum, tuned", Optimizer.Momentum(learningRate: 0.01), true));

// Warm-up (not timed, not reported): the first run would otherwise also pay for JIT compilation.
{
    var warmUp = new Network(spec, Seed);
    new NetworkTrainer(warmUp, new TrainingSettings { Epochs = 1, BatchSize = BatchSize, Optimizer = Optimizer.Sgd(), Seed = Seed }).Train(train);
    Evaluator.Evaluate(warmUp, validation, ValidationMonitor.Accuracy);
}

var results = new List<Result>();
foreach (var (label, optimizer, tuned) in candidates)
{
    var network = new Network(spec, Seed);
    var accuracies = new List<double>();
    var settings = new TrainingSettings
    {
        Epochs = Epochs,
        BatchSize = BatchSize,
        Optimizer = optimizer,
        Seed = Seed,
        // Called synchronously after every epoch: record the validation accuracy of the current weights.
        Progress = new Callback(_ => accuracies.Add(Evaluator.Evaluate(network, validation, ValidationMonitor.Accuracy).Metric)),
    };
    var clock = Stopwatch.StartNew();
    var history = new NetworkTrainer(network, settings).Train(train);
    clock.Stop();
    results.Add(new Result(label, optimizer, tuned, history, accuracies.ToArray(), clock.Elapsed));
}

Console.WriteLine($"{"optimizer",-16} {"hyper-parameters",-36} {"train loss",10} {"val. acc.",9} {"time",8}");
Console.WriteLine(new string('-', 16 + 1 + 36 + 1 + 10 + 1 + 9 + 1 + 8));
foreach (var r in results)
    Console.WriteLine($"{r.Label,-16} {r.Optimizer,-36} {r.History.Epochs[^1].TrainLoss,10:F5} {r.Accuracy[^1],9:P1} {r.Time.TotalMilliseconds,6:F0} ms");
Console.WriteLine("(train loss = mean over the last epoch's batches; val. acc. after the last epoch; time includes the per-epoch validation; timings vary with machine load)");
Console.WriteLine();

double bestAccuracy = results.Max(r => r.Accuracy[^1]);
string best = string.Join(", ", results.Where(r => r.Accuracy[^1] == bestAccuracy).Select(r => r.Label));
var slowest = results.Where(r => !r.Tuned).MinBy(r => r.Accuracy[^1])!;
Console.WriteLine("What it shows");
Console.WriteLine($"   Best validation accuracy: {best} ({bestAccuracy:P1}). Worst at its default rate: {slowest.Label} ({slowest.Accuracy[^1]:P1}).");
Console.WriteLine("   PyTorch's default lr = 1e-3 for SGD is tiny for this problem: plain SGD crawls, momentum and Nesterov");
Console.WriteLine("   do better (with μ = 0.9 the velocity adds up ≈ 1/(1 − μ) = 10 past gradients: momentum at lr 0.01 runs");
Console.WriteLine("   close to SGD at lr 0.1), and SGD at a tuned rate catches up with the adaptive methods.");
Console.WriteLine("   Adagrad, RMSProp, Adam and its variants scale each parameter's step by its gradient history and");
Console.WriteLine("   work out of the box; AdaDelta needs no learning rate at all. No optimizer wins everywhere —");
Console.WriteLine("   pick one by name (Optimizer.FromName) and tune its learning rate on validation data.");
Console.WriteLine();

string lossPng = Path.Combine(outputFolder, "optimizer-comparison-loss.png");
string accuracyPng = Path.Combine(outputFolder, "optimizer-comparison-accuracy.png");
Plot(results, r => r.History.Epochs.Select(e => Math.Log10(e.TrainLoss)).ToArray(), logScale: true,
    "Training loss per optimizer: 64 → 64 → 10 ReLU on digits", "Training cross-entropy (log scale)", lossPng);
Plot(results, r => r.Accuracy.Select(a => 100 * a).ToArray(), logScale: false,
    "Validation accuracy per optimizer", "Validation accuracy (%)", accuracyPng);
Console.WriteLine($"Wrote {lossPng}");
Console.WriteLine($"Wrote {accuracyPng}");
return 0;

static void Plot(List<Result> results, Func<Result, double[]> values, bool logScale, string title, string yLabel, string path)
{
    var plot = new Plot();
    var palette = new ScottPlot.Palettes.Category10();
    double[] epochs = Enumerable.Range(1, results[0].History.Epochs.Count).Select(e => (double)e).ToArray();
    // Some curves nearly coincide (adam/adamw, momentum/nesterov): distinct markers keep both visible.
    MarkerShape[] shapes = [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.OpenCircle, MarkerShape.FilledTriangleUp,
        MarkerShape.FilledDiamond, MarkerShape.FilledCircle, MarkerShape.OpenSquare, MarkerShape.FilledSquare, MarkerShape.FilledTriangleDown, MarkerShape.OpenDiamond];
    int untuned = 0;
    foreach (var r in results)
    {
        var line = plot.Add.Scatter(epochs, values(r));
        // Tuned runs reuse the colour of their optimizer, dashed with open triangles.
        int index = r.Tuned ? results.FindIndex(o => o.Optimizer.Name == r.Optimizer.Name) : untuned++;
        line.Color = palette.GetColor(index);
        line.LinePattern = r.Tuned ? LinePattern.Dashed : LinePattern.Solid;
        line.MarkerShape = r.Tuned ? MarkerShape.OpenTriangleUp : shapes[index % shapes.Length];
        line.LineWidth = 2;
        line.MarkerSize = r.Tuned ? 10 : 8;
        line.LegendText = $"{r.Label} (lr {r.Optimizer.LearningRate:G3})";
    }
    if (logScale)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"1e{y:0}",
        };
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
    }
    var ticks = new ScottPlot.TickGenerators.NumericManual();
    foreach (double e in epochs) ticks.AddMajor(e, $"{e}");
    plot.Axes.Bottom.TickGenerator = ticks;
    plot.Axes.SetLimitsX(0.5, epochs.Length + 0.5);
    if (!logScale) plot.Axes.SetLimitsY(0, 100);
    plot.Title(title);
    plot.XLabel("Epoch");
    plot.YLabel(yLabel);
    plot.ShowLegend(Edge.Right);
    plot.SavePng(path, 1100, 650);
}

internal sealed record Result(string Label, Optimizer Optimizer, bool Tuned, TrainingHistory History, double[] Accuracy, TimeSpan Time);

internal sealed class Callback(Action<EpochReport> action) : IProgress<EpochReport>
{
    public void Report(EpochReport value) => action(value);
}
