// Overfitting and regularisation (note 001): a 64 → 6 × 100 → 10 ReLU network (about 55,000 weights) trained on
// only 300 digits fits them perfectly and does worse on the 1,497 digits it has not seen; weight decay (L2) and
// dropout narrow the gap. Then the same two settings through the ML.NET trainer's options.
// Usage: dotnet run --project samples/Overfitting -c Release [-- --out <folder>]   (default out/overfitting/;
//        --out docs/images refreshes the README's pictures)
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop;
using MLNetBackprop.Engine;
using MLNetBackprop.Samples;
using MLNetBackprop.Samples.Overfitting;
using ScottPlot;

const int Epochs = 200;
string outputFolder = OutputFolder.Resolve(args, "overfitting");
var (train, test) = OverfittingExperiment.LoadDigits();

Console.WriteLine("Overfitting, weight decay and dropout");
Console.WriteLine("=====================================");
Console.WriteLine($"digits: {train.Rows} training rows ({OverfittingExperiment.RowsPerClass} per class), {test.Rows} test rows (every other digit).");
Console.WriteLine($"Network 64 → 6 × 100 → 10, ReLU, He init; SGD with momentum 0.9, lr {OverfittingExperiment.LearningRate}, batch {OverfittingExperiment.BatchSize}, {Epochs} epochs;");
Console.WriteLine("the same initial weights and batch order (seed 1) for every setting. Accuracies after each epoch, in inference mode.");
Console.WriteLine();

var runs = OverfittingExperiment.Settings.Select(s => OverfittingExperiment.Train(train, test, s, Epochs)).ToArray();

int[] shown = [1, 10, 25, 50, 100, Epochs];
Console.WriteLine("Training / test accuracy after epoch …");
Console.Write($"{"setting",-14}");
foreach (int e in shown) Console.Write($" | {e,15}");
Console.WriteLine($" | {"gap",6}");
Console.WriteLine(new string('-', 14 + shown.Length * 18 + 9));
foreach (var run in runs)
{
    Console.Write($"{run.Setting.Name,-14}");
    foreach (int e in shown) Console.Write($" | {run.TrainAccuracy[e - 1],7:P1} {run.TestAccuracy[e - 1],7:P1}");
    Console.WriteLine($" | {100 * run.Gap(),6:F1}");
}
Console.WriteLine("(gap = training − test accuracy after the last epoch, in percentage points)");
Console.WriteLine();

var none = runs[0];
var both = runs[^1];
Console.WriteLine("What it shows");
Console.WriteLine($"   Unregularised, the network fits all {train.Rows} training digits by epoch {FirstPerfect(none)} and stays there (loss {none.TrainLoss[^1]:0.0e+0}),");
Console.WriteLine($"   while it recognises {none.TestAccuracy[^1]:P1} of the digits it has not seen: a gap of {100 * none.Gap():F1} points. It has learnt the 300 rows, not the digits.");
Console.WriteLine($"   Weight decay (λ/2·Σw² added to the loss, λ·w to the gradient) keeps the weights small: test {runs[1].TestAccuracy[^1]:P1}, gap {100 * runs[1].Gap():F1}.");
Console.WriteLine($"   Dropout (20 % of the hidden units switched off at random in each training step) slows the fit: test {runs[2].TestAccuracy[^1]:P1}, gap {100 * runs[2].Gap():F1}.");
Console.WriteLine($"   Both: test {both.TestAccuracy[^1]:P1}, gap {100 * both.Gap():F1}. The training accuracy still reaches 100 % here; what regularisation");
Console.WriteLine("   buys is accuracy on the rows that were not trained on.");
Console.WriteLine();

// The same comparison through the ML.NET trainer: the knobs are Mlp options (Dropout, L2).
Console.WriteLine("The same in an ML.NET pipeline: MlpMulticlassTrainer.Options(MlpPreset.Classic) with Dropout and L2");
var ml = new MLContext(seed: 1);
IDataView trainView = ToDataView(ml, train), testView = ToDataView(ml, test);
var labelToKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainView);
foreach (var setting in new[] { OverfittingExperiment.Settings[0], OverfittingExperiment.Settings[^1] })
{
    var options = new MlpMulticlassTrainer.Options(MlpPreset.Classic)
    {
        HiddenLayers = OverfittingExperiment.HiddenLayers,
        Optimizer = Optimizer.Momentum(OverfittingExperiment.LearningRate),
        BatchSize = OverfittingExperiment.BatchSize,
        Epochs = Epochs,
        EarlyStopping = null,
        L2 = setting.L2,
        Dropout = setting.Dropout,
        Seed = 1,
    };
    var model = ml.MulticlassClassification.Trainers.Mlp(options).Fit(labelToKey.Transform(trainView));
    double trainAccuracy = ml.MulticlassClassification.Evaluate(model.Transform(labelToKey.Transform(trainView))).MicroAccuracy;
    double testAccuracy = ml.MulticlassClassification.Evaluate(model.Transform(labelToKey.Transform(testView))).MicroAccuracy;
    Console.WriteLine($"   {setting.Name,-14} (L2 = {setting.L2}, Dropout = {setting.Dropout}): train {trainAccuracy:P1}, test {testAccuracy:P1}, gap {100 * (trainAccuracy - testAccuracy):F1}");
}
Console.WriteLine("   (the trainer also standardises the features on its 300 rows and draws its own initial weights, so the numbers differ a little)");
Console.WriteLine();

string path = Path.Combine(outputFolder, "overfitting-accuracy.png");
PlotCurves(runs, path);
Console.WriteLine($"Wrote {path}");
return 0;

static int FirstPerfect(RegularizationRun run) => Array.FindIndex(run.TrainAccuracy, a => a >= 1.0) + 1;

static IDataView ToDataView(MLContext ml, Dataset data)
    => ml.Data.LoadFromEnumerable(Enumerable.Range(0, data.Rows)
        .Select(i => new DigitRow { Features = data.Features.Row(i).ToArray(), Label = data.Targets[i] }).ToArray());

// Left: training (solid) and test (dashed) accuracy per epoch for each setting. Right: their difference, the gap.
static void PlotCurves(RegularizationRun[] runs, string path)
{
    var multiplot = new Multiplot();
    multiplot.AddPlots(2);
    multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(1, 2);
    var palette = new ScottPlot.Palettes.Category10();
    var accuracy = multiplot.GetPlot(0);
    var gap = multiplot.GetPlot(1);
    for (int r = 0; r < runs.Length; r++)
    {
        var run = runs[r];
        double[] epochs = Enumerable.Range(1, run.TrainAccuracy.Length).Select(e => (double)e).ToArray();
        var color = palette.GetColor(r);
        foreach (var (values, pattern, what) in new[] { (run.TrainAccuracy, LinePattern.Solid, "train"), (run.TestAccuracy, LinePattern.Dashed, "test") })
        {
            var line = accuracy.Add.ScatterLine(epochs, values.Select(a => 100 * a).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.LinePattern = pattern;
            line.LegendText = $"{run.Setting.Name}, {what}";
        }
        var g = gap.Add.ScatterLine(epochs, epochs.Select(e => 100 * run.Gap((int)e)).ToArray());
        g.Color = color;
        g.LineWidth = 2;
        g.LegendText = $"{run.Setting.Name}: {100 * run.Gap():0.0} points at the end";
    }
    accuracy.Title("Accuracy: the 300 training digits (solid) vs the unseen digits (dashed)", size: 15);
    accuracy.XLabel("epoch");
    accuracy.YLabel("accuracy (%)");
    accuracy.Axes.SetLimits(0, runs[0].TrainAccuracy.Length + 1, 50, 101);
    accuracy.ShowLegend(Alignment.LowerRight);
    gap.Title("Gap: training − test accuracy", size: 15);
    gap.XLabel("epoch");
    gap.YLabel("percentage points");
    gap.Axes.SetLimits(0, runs[0].TrainAccuracy.Length + 1, 0, 17);
    gap.ShowLegend(Alignment.UpperRight);
    multiplot.SavePng(path, 1500, 600);
}

/// <summary>One digit as ML.NET reads it: 64 standardised pixels and the digit.</summary>
internal sealed class DigitRow
{
    [VectorType(64)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }
}
