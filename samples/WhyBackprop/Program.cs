// Why backpropagation (notes 001, 003): numerical differentiation gives the same gradient as backpropagation but
// costs two forward passes per parameter; backpropagation gets every derivative from one forward and one backward
// pass. Then note 003's node-level view: the sigmoid as four nodes whose local derivatives multiply to y·(1 − y).
// Usage: dotnet run --project samples/WhyBackprop -c Release [-- --out <folder>]   (default out/why-backprop/;
//        --out docs/images refreshes the README's pictures)
using MLNetBackprop;
using MLNetBackprop.Engine;
using MLNetBackprop.Samples;
using MLNetBackprop.Samples.WhyBackprop;
using ScottPlot;

string outputFolder = OutputFolder.Resolve(args, "why-backprop");

Console.WriteLine("Why backpropagation");
Console.WriteLine("===================");
Console.WriteLine();

// 1. The same gradient, two ways.
var check = GradientCheck.Compare();
Console.WriteLine($"1. The same gradient, two ways: a 8 → 6 → 5 → 4 sigmoid network ({check.Parameters} weights and biases), 16 random rows,");
Console.WriteLine("   mean softmax cross-entropy. Backpropagation: the engine's Network.ComputeGradients (float32). Numerical:");
Console.WriteLine("   (L(θ + h) − L(θ − h)) / 2h for each parameter in turn, h = 1e-5, through a float64 forward pass of the same weights.");
Console.WriteLine();
Console.WriteLine($"   {"parameter",-18} {"backprop",14} {"numerical",14} {"rel. diff.",10}");
// The first and the last value of each parameter tensor.
var shownRows = Enumerable.Range(0, check.Parameters).GroupBy(i => check.Names[i][..check.Names[i].IndexOf('[')]).SelectMany(g => new[] { g.First(), g.Last() });
foreach (int i in shownRows)
{
    double rel = Math.Abs(check.Backprop[i] - check.Numerical[i]) / Math.Max(Math.Abs(check.Backprop[i]), Math.Abs(check.Numerical[i]));
    Console.WriteLine($"   {check.Names[i],-18} {check.Backprop[i],14:0.000000000} {check.Numerical[i],14:0.000000000} {rel,10:0.0e+0}");
}
Console.WriteLine($"   … all {check.Parameters}: max relative difference {check.MaxRelativeError:0.0e+0}, max absolute difference {check.MaxAbsoluteError:0.0e+0}");
Console.WriteLine($"   Cost: numerical {check.ForwardPasses} forward passes (2 × {check.Parameters}); backpropagation 1 forward + 1 backward pass.");
Console.WriteLine($"   (Taken through the engine's own float32 forward passes, the difference quotient agrees only to {check.MaxRelativeErrorFloat32:0.0e+0}:");
Console.WriteLine("   the loss is rounded to ~1e-7 and divided by 2h — gradient checks are done in float64, or with a loose tolerance.)");
Console.WriteLine();

// 2. The cost as the network grows.
int[][] sizes = [[8], [32], [128], [512], [2048], [1000, 925]];
Console.WriteLine($"2. The cost of one gradient as the network grows: 64 → hidden → 10 ReLU, a mini-batch of {GradientCost.Rows} rows, float32 engine.");
Console.WriteLine("   The numerical gradient is run in full while it takes under a second; beyond, it is estimated as 2·P × (one forward pass).");
Console.WriteLine();
Console.WriteLine($"   {"hidden",-10} {"P",10} {"forward",10} {"backprop",10} {"numerical: passes",18} {"time",12} {"numerical / backprop",21}");
var rows = new List<CostRow>();
foreach (var hidden in sizes)
{
    var row = GradientCost.Measure(hidden);
    rows.Add(row);
    string time = row.NumericalSeconds is double s ? $"{Duration(s)}" : $"≈ {Duration(row.NumericalEstimateSeconds)}";
    Console.WriteLine($"   {string.Join("+", hidden),-10} {row.Parameters,10:N0} {Duration(row.ForwardSeconds),10} {Duration(row.BackpropSeconds),10} {row.NumericalForwardPasses,18:N0} {time,12} {row.NumericalEstimateSeconds / row.BackpropSeconds,21:N0}×");
}
var million = rows[^1];
Console.WriteLine("   (times vary with the machine and its load; the pass counts do not)");
Console.WriteLine();
Console.WriteLine($"   At P = {million.Parameters:N0} one numerical gradient is {million.NumericalForwardPasses:N0} forward passes of {Duration(million.ForwardSeconds)}: ≈ {Duration(million.NumericalEstimateSeconds)},");
Console.WriteLine($"   against {Duration(million.BackpropSeconds)} for backpropagation. Training takes thousands of gradient steps: 10,000 steps would take");
Console.WriteLine($"   ≈ {Duration(10_000 * million.NumericalEstimateSeconds)} numerically and ≈ {Duration(10_000 * million.BackpropSeconds)} by backpropagation. Numerical differentiation is not feasible;");
Console.WriteLine("   its cost grows as P × (cost of a forward pass ∝ P) = P², backpropagation's as P. It stays the check (part 1).");
Console.WriteLine();

// 3. The sigmoid as a computational graph.
const double X = 0.5;
var chain = SigmoidGraph.Chain(X);
double y = SigmoidGraph.Output(chain);
Console.WriteLine($"3. The sigmoid as a computational graph (note 003), at x = {X}: y = 1 / (1 + exp(−x)) from four nodes.");
Console.WriteLine();
Console.WriteLine($"   {"node",-6} {"input",10} {"output",10}   {"local derivative",-26} {"value",10}   {"gradient in",12} {"gradient out",13}");
foreach (var node in chain)
    Console.WriteLine($"   {node.Operation,-6} {node.Input,10:F6} {node.Output,10:F6}   {node.LocalRule,-26} {node.Local,10:F6}   {node.Upstream,12:F6} {node.Downstream,13:F6}");
Console.WriteLine("   Forward runs top to bottom and keeps every value; backward runs bottom to top from ∂y/∂y = 1, each node");
Console.WriteLine("   multiplying the gradient that arrives by its local derivative (exp's is its own output, 1/·'s is −y²).");
double product = chain.Aggregate(1.0, (p, n) => p * n.Local);
Console.WriteLine($"   Product of the local derivatives: (−1)·exp(−x)·1·(−y²) = y²·exp(−x) = {product:F15}");
Console.WriteLine($"   y·(1 − y)                                                = {y * (1 - y):F15}   (difference {Math.Abs(product - y * (1 - y)):0.0e+0})");
Console.WriteLine("   because y·exp(−x) = exp(−x)/(1 + exp(−x)) = 1 − y: the four nodes collapse into one, whose backward is dout·y·(1 − y).");

double[] xs = [-6, -2, -0.5, 0, 0.5, 2, 6];
var layer = new SigmoidLayer(xs.Length);
layer.Forward(new Matrix(1, xs.Length, xs.Select(v => (float)v).ToArray()), training: false);
var engine = layer.Backward(new Matrix(1, xs.Length, Enumerable.Repeat(1f, xs.Length).ToArray()))!.ToArray();
Console.WriteLine();
Console.WriteLine($"   {"x",6} {"chain ∂y/∂x",16} {"y(1 − y)",16} {"difference",11} {"engine SigmoidLayer",20}");
for (int i = 0; i < xs.Length; i++)
{
    var c = SigmoidGraph.Chain(xs[i]);
    double yi = SigmoidGraph.Output(c), d = SigmoidGraph.Derivative(c);
    Console.WriteLine($"   {xs[i],6} {d,16:0.000000000000} {yi * (1 - yi),16:0.000000000000} {Math.Abs(d - yi * (1 - yi)),11:0.0e+0} {engine[i],20:0.0000000}");
}
Console.WriteLine("   (the engine's layer runs in float32: the same values to ~1e-8)");
Console.WriteLine();

string path = Path.Combine(outputFolder, "why-backprop-cost.png");
PlotCost(rows, path);
Console.WriteLine($"Wrote {path}");
return 0;

static string Duration(double seconds) => seconds switch
{
    < 1e-3 => $"{seconds * 1e6:0.#} µs",
    < 1 => $"{seconds * 1e3:0.##} ms",
    < 120 => $"{seconds:0.##} s",
    < 2 * 3600 => $"{seconds / 60:0.#} min",
    < 2 * 86400 => $"{seconds / 3600:0.#} h",
    < 2 * 365 * 86400 => $"{seconds / 86400:0.#} days",
    _ => $"{seconds / (365.25 * 86400):0.#} years",
};

// Seconds per gradient against P, log–log: numerical (measured, then estimated) and backpropagation.
static void PlotCost(List<CostRow> rows, string path)
{
    var plot = new Plot();
    var palette = new ScottPlot.Palettes.Category10();
    double[] p = rows.Select(r => Math.Log10(r.Parameters)).ToArray();

    var numerical = plot.Add.Scatter(p, rows.Select(r => Math.Log10(r.NumericalEstimateSeconds)).ToArray());
    numerical.Color = palette.GetColor(3);
    numerical.LineWidth = 2;
    numerical.MarkerSize = 0;
    numerical.LegendText = "numerical differentiation: 2·P forward passes";
    var measured = rows.Where(r => r.NumericalSeconds is not null).ToArray();
    var measuredDots = plot.Add.Markers(measured.Select(r => Math.Log10(r.Parameters)).ToArray(), measured.Select(r => Math.Log10(r.NumericalSeconds!.Value)).ToArray(), MarkerShape.FilledCircle, 9, palette.GetColor(3));
    measuredDots.LegendText = "  measured";
    var estimated = rows.Where(r => r.NumericalSeconds is null).ToArray();
    var estimatedDots = plot.Add.Markers(estimated.Select(r => Math.Log10(r.Parameters)).ToArray(), estimated.Select(r => Math.Log10(r.NumericalEstimateSeconds)).ToArray(), MarkerShape.OpenCircle, 9, palette.GetColor(3));
    estimatedDots.LegendText = "  estimated: 2·P × (one forward pass, measured)";

    var backprop = plot.Add.Scatter(p, rows.Select(r => Math.Log10(r.BackpropSeconds)).ToArray());
    backprop.Color = palette.GetColor(0);
    backprop.LineWidth = 2;
    backprop.MarkerSize = 9;
    backprop.LegendText = "backpropagation: 1 forward + 1 backward pass (measured)";

    var last = rows[^1];
    var label = plot.Add.Text($"{Duration(last.NumericalEstimateSeconds)}", Math.Log10(last.Parameters), Math.Log10(last.NumericalEstimateSeconds));
    label.LabelAlignment = Alignment.LowerRight;
    label.LabelFontSize = 14;
    label.LabelFontColor = palette.GetColor(3);
    var label2 = plot.Add.Text($"{Duration(last.BackpropSeconds)}", Math.Log10(last.Parameters), Math.Log10(last.BackpropSeconds));
    label2.LabelAlignment = Alignment.LowerRight;
    label2.LabelFontSize = 14;
    label2.LabelFontColor = palette.GetColor(0);

    foreach (var axis in new ScottPlot.IAxis[] { plot.Axes.Left, plot.Axes.Bottom })
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => $"1e{v:0}",
        };
    plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
    plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
    plot.Title($"The cost of one gradient: 64 → hidden → 10 ReLU, {GradientCost.Rows} rows, float32 engine");
    plot.XLabel("P, number of parameters (log scale)");
    plot.YLabel("seconds per gradient (log scale)");
    plot.ShowLegend(Alignment.UpperLeft);
    plot.SavePng(path, 1000, 620);
}
