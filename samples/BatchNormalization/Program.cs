// Batch normalisation (note 001): the same 64 → 5 × 100 → 10 ReLU network trained by plain SGD on the digits from
// hidden weights drawn with spreads from σ = 1 down to σ = 0.0001, with and without a BatchNorm layer between each
// hidden affine layer and its ReLU. Same initial weights and batch order with and without BatchNorm.
// Usage: dotnet run --project samples/BatchNormalization -c Release [-- --out <folder>]   (default out/batch-normalization/;
//        --out docs/images refreshes the README's pictures)
using MLNetBackprop.Samples;
using MLNetBackprop.Samples.BatchNormalization;
using ScottPlot;

const int Epochs = 20;
string outputFolder = OutputFolder.Resolve(args, "batch-normalization");
var (train, _) = BatchNormExperiment.LoadDigits();
int iterationsPerEpoch = (train.Rows + BatchNormExperiment.BatchSize - 1) / BatchNormExperiment.BatchSize;

Console.WriteLine("Batch normalisation and the initial weight scale");
Console.WriteLine("================================================");
Console.WriteLine($"digits: {train.Rows} training rows (standardised pixels). Network 64 → 5 × 100 → 10, ReLU, softmax cross-entropy;");
Console.WriteLine($"hidden weights drawn N(0, σ²) (output layer Xavier), biases 0; plain SGD lr {BatchNormExperiment.LearningRate}, batch {BatchNormExperiment.BatchSize}");
Console.WriteLine($"({iterationsPerEpoch} iterations per epoch), {Epochs} epochs, seed 1 for every run. He normal would be σ = 0.18 (first layer) / 0.14.");
Console.WriteLine();

var runs = new List<(BatchNormRun Plain, BatchNormRun Normalized)>();
foreach (double std in BatchNormExperiment.InitStds)
    runs.Add((BatchNormExperiment.Train(train, std, batchNorm: false, Epochs), BatchNormExperiment.Train(train, std, batchNorm: true, Epochs)));

int[] shown = [1, 2, 5, 10, Epochs];
Console.WriteLine("Training accuracy after epoch …          without BatchNorm                      with BatchNorm");
Console.Write("      σ |");
foreach (var _ in new[] { 0, 1 })
{
    foreach (int e in shown) Console.Write($" {e,6}");
    Console.Write($" {"loss",7} |");
}
Console.WriteLine();
Console.WriteLine(new string('-', 9 + 2 * (shown.Length * 7 + 10)));
foreach (var (plain, normalized) in runs)
{
    Console.Write($"{plain.InitStd,7:G4} |");
    foreach (var run in new[] { plain, normalized })
    {
        foreach (int e in shown) Console.Write(e <= run.TrainAccuracy.Length ? $" {run.TrainAccuracy[e - 1],6:P0}" : $" {"—",6}");
        Console.Write(run.DivergedInEpoch is int d ? $" {"NaN@" + d,7} |" : $" {run.TrainLoss[^1],7:F3} |");
    }
    Console.WriteLine();
}
Console.WriteLine($"(loss = mean training cross-entropy of epoch {Epochs}; NaN@k: the loss overflowed in epoch k and training stopped)");
Console.WriteLine();

var learned = runs.Where(r => r.Plain.DivergedInEpoch is null && r.Plain.TrainAccuracy[^1] > 0.9).Select(r => r.Plain.InitStd).ToArray();
var learnedWithBn = runs.Where(r => r.Normalized.DivergedInEpoch is null && r.Normalized.TrainAccuracy[^1] > 0.9).Select(r => r.Normalized.InitStd).ToArray();
var small = runs.Single(r => r.Plain.InitStd == 0.01);
Console.WriteLine("What it shows");
Console.WriteLine($"   Without BatchNorm only σ ∈ {{{string.Join(", ", learned)}}} reach 90 % training accuracy in {Epochs} epochs: σ = 1 overflows at once, and below");
Console.WriteLine("   σ = 0.1 the signal shrinks layer after layer (Initialization shows it) until the gradient is too small to move:");
Console.WriteLine($"   at σ = 0.01 the loss stays at ln 10 = {small.Plain.TrainLoss[^1]:F3} and the accuracy at chance ({small.Plain.TrainAccuracy[^1]:P0}).");
Console.WriteLine($"   With BatchNorm {learnedWithBn.Length} of {runs.Count} spreads (σ ∈ {{{string.Join(", ", learnedWithBn)}}}) get there: each layer's input is brought back to");
Console.WriteLine("   mean 0, variance 1 over the mini-batch whatever the weights' scale, so the signal neither vanishes nor explodes.");
Console.WriteLine($"   At σ = 0.01 it reaches {small.Normalized.TrainAccuracy[2]:P0} after 3 epochs ({3 * iterationsPerEpoch} iterations), loss {small.Normalized.TrainLoss[2]:F3}.");
Console.WriteLine("   What is left of the dependence: with BatchNorm the output does not change when a layer's weights are scaled,");
Console.WriteLine("   so the gradient scales as 1/σ and a plain SGD step moves large weights relatively less — σ = 1 learns slowest.");
Console.WriteLine();

string curvesPath = Path.Combine(outputFolder, "batch-normalization-accuracy.png");
string summaryPath = Path.Combine(outputFolder, "batch-normalization-final-loss.png");
PlotCurves(runs, curvesPath);
PlotSummary(runs, summaryPath);
Console.WriteLine($"Wrote {curvesPath}");
Console.WriteLine($"Wrote {summaryPath}");
return 0;

// One panel per initial spread: the training accuracy per epoch with and without BatchNorm.
static void PlotCurves(List<(BatchNormRun Plain, BatchNormRun Normalized)> runs, string path)
{
    const int Columns = 4;
    int rows = (runs.Count + Columns - 1) / Columns;
    var multiplot = new Multiplot();
    multiplot.AddPlots(runs.Count);
    multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, Columns);
    var palette = new ScottPlot.Palettes.Category10();
    for (int i = 0; i < runs.Count; i++)
    {
        var plot = multiplot.GetPlot(i);
        foreach (var (run, color, label) in new[] { (runs[i].Normalized, palette.GetColor(0), "with BatchNorm"), (runs[i].Plain, palette.GetColor(3), "without") })
        {
            double[] epochs = Enumerable.Range(1, run.TrainAccuracy.Length).Select(e => (double)e).ToArray();
            if (epochs.Length == 0) continue;
            var line = plot.Add.Scatter(epochs, run.TrainAccuracy.Select(a => 100 * a).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 4;
            line.LegendText = label;
        }
        var p = runs[i].Plain;
        plot.Title(p.DivergedInEpoch is int d ? $"σ = {p.InitStd:G4} (without: NaN in epoch {d})" : $"σ = {p.InitStd:G4}", size: 14);
        plot.Axes.SetLimits(0.5, runs[i].Normalized.TrainAccuracy.Length + 0.5, 0, 102);
        plot.XLabel("epoch", size: 12);
        if (i % Columns == 0) plot.YLabel("training accuracy (%)", size: 12);
        plot.ShowLegend(Alignment.MiddleRight);
    }
    multiplot.SavePng(path, 1400, 330 * rows);
}

// The last epoch's training loss against σ (log–log), with and without BatchNorm.
static void PlotSummary(List<(BatchNormRun Plain, BatchNormRun Normalized)> runs, string path)
{
    var plot = new Plot();
    var palette = new ScottPlot.Palettes.Category10();
    foreach (var (pick, color, label) in new (Func<(BatchNormRun, BatchNormRun), BatchNormRun>, Color, string)[]
    {
        (r => r.Item2, palette.GetColor(0), "with BatchNorm"),
        (r => r.Item1, palette.GetColor(3), "without BatchNorm"),
    })
    {
        var points = runs.Select(pick).Where(r => r.DivergedInEpoch is null).ToArray();
        var line = plot.Add.Scatter(points.Select(r => Math.Log10(r.InitStd)).ToArray(), points.Select(r => Math.Log10(r.TrainLoss[^1])).ToArray());
        line.Color = color;
        line.LineWidth = 2;
        line.MarkerSize = 8;
        line.LegendText = label;
    }
    foreach (var r in runs.Where(r => r.Plain.DivergedInEpoch is not null))
    {
        var text = plot.Add.Text($"without: NaN\n(epoch {r.Plain.DivergedInEpoch})", Math.Log10(r.Plain.InitStd), Math.Log10(2.303));
        text.LabelFontColor = palette.GetColor(3);
        text.LabelFontSize = 13;
        text.LabelAlignment = Alignment.LowerRight;
    }
    var chance = plot.Add.HorizontalLine(Math.Log10(Math.Log(10)));
    chance.LinePattern = LinePattern.Dotted;
    chance.Color = Colors.Gray;
    chance.LegendText = "ln 10: chance";
    LogTicks(plot.Axes.Left, y => $"1e{y:0}");
    LogTicks(plot.Axes.Bottom, x => $"1e{x:0}");
    plot.Title($"Training loss after {runs[0].Normalized.TrainAccuracy.Length} epochs of SGD, by initial weight spread σ");
    plot.XLabel("σ of the initial hidden weights (log scale)");
    plot.YLabel("Training cross-entropy (log scale)");
    plot.ShowLegend(Alignment.LowerLeft);
    plot.SavePng(path, 1000, 600);
}

static void LogTicks(ScottPlot.IAxis axis, Func<double, string> label)
{
    axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = label,
    };
}
