// Initialisation (note 001): the distribution of each hidden layer's activations for a 5-layer network of
// 100 units on 1,000 random input rows, when the weights are drawn with a large spread (N(0, 1)), a small one
// (N(0, 0.01²)), and the schemes made for the activation (Xavier for sigmoid/tanh, He for ReLU).
// Usage: dotnet run --project samples/Initialization -c Release [-- --out <folder>]   (default out/initialization/;
//        --out docs/images refreshes the README's pictures)
using MLNetBackprop;
using MLNetBackprop.Engine;
using MLNetBackprop.Samples;
using MLNetBackprop.Samples.Initialization;
using ScottPlot;

string outputFolder = OutputFolder.Resolve(args, "initialization");
const int Rows = ActivationDistributions.Rows, Width = ActivationDistributions.Width, Depth = ActivationDistributions.Depth;

Console.WriteLine("Weight initialisation and the activations of deep layers");
Console.WriteLine("=========================================================");
Console.WriteLine($"{Rows} input rows of {Width} values drawn from N(0, 1) → {Depth} hidden layers of {Width} units, biases 0,");
Console.WriteLine("the same input rows for every experiment; each hidden layer's activations are counted.");
Console.WriteLine($"Xavier normal: σ = gain·√(2/(fan_in + fan_out)) = gain·{Math.Sqrt(2.0 / (2 * Width)):0.###} here (gain 1 for sigmoid, 5/3 for tanh);");
Console.WriteLine($"LeCun normal σ = 1/√fan_in = {1 / Math.Sqrt(Width):0.###} (what note 001 calls Xavier); He normal σ = √2/√fan_in = {Math.Sqrt(2.0 / Width):0.###}.");
Console.WriteLine();

var results = ActivationDistributions.Schemes.Select(s => (Scheme: s, Layers: ActivationDistributions.Run(s))).ToArray();

foreach (var (scheme, layers) in results)
{
    bool relu = scheme.Activation == Activation.Relu;
    Console.WriteLine($"{scheme.Name}: weight σ = {scheme.WeightStd(Width, Width):0.####}");
    Console.WriteLine(relu ? "   layer     mean      std    exactly 0" : "   layer     mean      std    within 0.05 of a saturated end");
    foreach (var l in layers)
        Console.WriteLine($"   {l.Layer,5} {Math.Round(l.Mean, 4) + 0.0,8:0.0000} {Spread(l.Std),9}   {(relu ? l.Zero : l.Saturated),6:P1}");
    Console.WriteLine();
}

LayerActivations[] Of(string name) => results.Single(r => r.Scheme.Name == name).Layers;
var sigmoidLarge = Of("sigmoid, N(0, 1)");
var sigmoidSmall = Of("sigmoid, N(0, 0.01²)");
var sigmoidXavier = Of("sigmoid, Xavier normal");
var tanhSmall = Of("tanh, N(0, 0.01²)");
var tanhXavier = Of("tanh, Xavier normal (gain 5/3)");
var reluSmall = Of("ReLU, N(0, 0.01²)");
var reluLeCun = Of("ReLU, LeCun normal (1/√n)");
var reluHe = Of("ReLU, He normal");
Console.WriteLine("What it shows");
Console.WriteLine($"   Too large a spread: with N(0, 1) weights {sigmoidLarge[^1].Saturated:P0} of the sigmoid activations of layer {Depth} sit within 0.05 of 0 or 1,");
Console.WriteLine("   where σ'(x) ≈ 0: the gradient vanishes there (VanishingGradients shows the consequence).");
Console.WriteLine($"   Too small a spread: with N(0, 0.01²) every sigmoid unit outputs ≈ 0.5 (std {Spread(sigmoidSmall[^1].Std)} at layer {Depth}, against");
Console.WriteLine($"   {sigmoidXavier[^1].Std:0.###} with Xavier), and tanh units collapse to 0 (std {Spread(tanhSmall[^1].Std)} against {tanhXavier[^1].Std:0.###}): all units compute");
Console.WriteLine("   nearly the same thing, and the network loses its expressiveness.");
Console.WriteLine($"   Xavier keeps sigmoid/tanh activations spread layer after layer (tanh std {tanhXavier[0].Std:0.###} → {tanhXavier[^1].Std:0.###}).");
Console.WriteLine($"   ReLU: He's √2 makes up for the half of the units that output 0 — std {reluHe[0].Std:0.###} at layer 1, {reluHe[^1].Std:0.###} at layer {Depth};");
Console.WriteLine($"   with 1/√n it halves every two layers ({reluLeCun[0].Std:0.###} → {reluLeCun[^1].Std:0.###}), and with N(0, 0.01²) it shrinks {reluSmall[0].Std / reluSmall[^1].Std:0.#e+0}-fold.");
Console.WriteLine();

var files = new List<string>();
foreach (var (activation, file, low, high) in new[]
{
    (Activation.Sigmoid, "initialization-sigmoid.png", 0.0, 1.0),
    (Activation.Tanh, "initialization-tanh.png", -1.0, 1.0),
    (Activation.Relu, "initialization-relu.png", 0.0, 3.0),
})
{
    string path = Path.Combine(outputFolder, file);
    PlotHistograms(results.Where(r => r.Scheme.Activation == activation).ToArray(), low, high, path);
    files.Add(path);
}
string spreadPath = Path.Combine(outputFolder, "initialization-spread.png");
PlotSpread(results, spreadPath);
files.Add(spreadPath);
foreach (var f in files) Console.WriteLine($"Wrote {f}");
return 0;

// Three significant digits; powers of ten below 0.001.
static string Spread(double std) => std >= 1e-3 ? std.ToString("G3") : std.ToString("0.##e+0");

// One row of histograms per scheme, one column per hidden layer: the share of the activations in each of 30 bins.
static void PlotHistograms((InitScheme Scheme, LayerActivations[] Layers)[] rows, double low, double high, string path)
{
    const int Bins = 30;
    double width = (high - low) / Bins;
    var palette = new ScottPlot.Palettes.Category10();
    var multiplot = new Multiplot();
    multiplot.AddPlots(rows.Length * Depth);
    multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows.Length, Depth);
    bool relu = rows[0].Scheme.Activation == Activation.Relu;
    for (int r = 0; r < rows.Length; r++)
    {
        double top = 0;
        var plots = new List<Plot>();
        for (int l = 0; l < Depth; l++)
        {
            var layer = rows[r].Layers[l];
            var counts = new double[Bins];
            foreach (float v in layer.Values)
            {
                if (relu && v == 0f) continue;  // the inactive half: reported in the title instead
                int b = (int)Math.Floor((v - low) / width);
                if (b >= 0 && b < Bins) counts[b]++;
                else if (v == high) counts[Bins - 1]++;  // tanh's and sigmoid's saturated 1 (ReLU's few values above 3 are left out)
            }
            var share = counts.Select(c => 100 * c / layer.Values.Length).ToArray();
            top = Math.Max(top, share.Max());
            var plot = multiplot.GetPlot(r * Depth + l);
            var bars = plot.Add.Bars(Enumerable.Range(0, Bins).Select(b => low + (b + 0.5) * width).ToArray(), share);
            foreach (var bar in bars.Bars)
            {
                bar.Size = width;
                bar.LineWidth = 0;
                bar.FillColor = palette.GetColor(r);
            }
            plot.Title(relu ? $"layer {l + 1}: std {Spread(layer.Std)}, {layer.Zero:P0} at 0" : $"layer {l + 1}: std {Spread(layer.Std)}", size: 12);
            plot.Axes.Left.TickLabelStyle.FontSize = 10;
            plot.Axes.Bottom.TickLabelStyle.FontSize = 10;
            if (l == 0) plot.YLabel($"{rows[r].Scheme.Name}\n% of activations", size: 12);
            plot.Axes.SetLimitsX(low, high);
            plots.Add(plot);
        }
        foreach (var plot in plots) plot.Axes.SetLimitsY(0, top * 1.08);
    }
    multiplot.SavePng(path, 1500, 260 * rows.Length);
}

// The standard deviation of each layer's activations, one line per scheme (log scale).
static void PlotSpread((InitScheme Scheme, LayerActivations[] Layers)[] results, string path)
{
    var plot = new Plot();
    var palette = new ScottPlot.Palettes.Category10();
    double[] layers = Enumerable.Range(1, Depth).Select(i => (double)i).ToArray();
    for (int r = 0; r < results.Length; r++)
    {
        var line = plot.Add.Scatter(layers, results[r].Layers.Select(l => Math.Log10(Math.Max(l.Std, 1e-12))).ToArray());
        var activation = results[r].Scheme.Activation;
        line.Color = palette.GetColor(r);
        line.LineWidth = 2;
        line.MarkerSize = 7;
        line.LinePattern = activation == Activation.Sigmoid ? LinePattern.Solid : activation == Activation.Tanh ? LinePattern.Dashed : LinePattern.Dotted;
        line.LegendText = results[r].Scheme.Name;
    }
    var ticks = new ScottPlot.TickGenerators.NumericAutomatic
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = y => $"1e{y:0}",
    };
    plot.Axes.Left.TickGenerator = ticks;
    var xTicks = new ScottPlot.TickGenerators.NumericManual();
    foreach (double x in layers) xTicks.AddMajor(x, $"{x}");
    plot.Axes.Bottom.TickGenerator = xTicks;
    plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
    plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
    plot.Title($"Spread of the activations, layer by layer ({Rows} random rows, {Depth} × {Width} units)");
    plot.XLabel("Hidden layer");
    plot.YLabel("Standard deviation of the activations (log scale)");
    plot.ShowLegend(Alignment.LowerLeft);
    plot.SavePng(path, 1000, 650);
}
