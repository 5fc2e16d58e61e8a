using System.Runtime.Intrinsics.X86;
using MLNetBackprop.Bench;
using MLNetBackprop.Engine;

// Usage: dotnet run -c Release --project bench/MLNetBackprop.Bench -- [gemm|epoch|ours|split|all|profile|scoring|tabular|tabprof|curves|alloc|fashion|cold] [options]
//        ... -- arena [--sets a,b|all] [--seeds N] [--mlp default,...] [--peers all|none|lightgbm,...] [--peer-cache FILE] [--markdown FILE] [--data DIR]
//        (the tabular arena: Mlp vs ML.NET's trainers, no torch; see Arena/ArenaBench.cs)
//   --threads 1,2     thread counts (torch.set_num_threads and Kernels.MaxThreads)
//   --batches 32,128,512
//   --reps N          repetitions (GEMM samples per candidate; default 15)
//   --epochs N        timed epochs per configuration (default 3, after 1 warm-up epoch)
//   --out FILE        also write the markdown tables to FILE (default bench-results.md in the current folder)
string mode = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : "all";
int[] threads = IntList(Opt("--threads") ?? (mode is "fashion" ? "1" : "1,2"));
int[] batches = IntList(Opt("--batches") ?? "32,128,512");
int reps = int.Parse(Opt("--reps") ?? "15");
int epochs = int.Parse(Opt("--epochs") ?? (mode is "fashion" ? "10" : "3"));
string outFile = Opt("--out") ?? "bench-results.md";

if (mode is "arena") { MLNetBackprop.Bench.Arena.ArenaBench.Run(args.Skip(1).ToArray()); return; } // no torch (see Arena/)
if (mode is "spin") { ContendedBench.Spin(); return; } // the busy child process of `contended`
if (mode is "cold-child") { ColdStartBench.Child(args[1]); return; } // one fresh process of the cold-start bench
if (mode is "streaming") { StreamingBench.Run(args); return; } // "Big data": streamed training, no torch (see StreamingBench.cs)
if (mode is "fashion" && (!File.Exists(FashionBench.TrainPath) || !File.Exists(FashionBench.TestPath)))
{
    Console.WriteLine($"fashion: Fashion-MNIST not found ({FashionBench.TrainPath}, {FashionBench.TestPath}); nothing to do.");
    return;
}
Console.WriteLine(ElfPatcher.PatchTorchSharp()); // must precede the first torch call
using var md = new StreamWriter(outFile, append: false);
string header = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} logical CPUs, AVX2 {Avx2.IsSupported}, FMA {Fma.IsSupported}, " +
                $"AVX-512F {Avx512F.IsSupported}, .NET {Environment.Version}, load average {LoadAverage()}";
Console.WriteLine(header);
md.WriteLine($"_{header}; command: `{mode} {string.Join(' ', args.Skip(1))}`_");
md.WriteLine();

if (mode is "gemm" or "all")
{
    md.WriteLine("### GEMM, MLP 784-256-128-10 shapes (median of " + reps + " interleaved samples)");
    md.WriteLine();
    GemmBench.Run(batches, threads, reps, md);
    md.WriteLine();
}
if (mode is "epoch" or "all")
{
    md.WriteLine($"### Training epoch, 60,000 rows, 784-256-128-10 ReLU + cross-entropy + Adam (median of {epochs} after 1 warm-up)");
    md.WriteLine();
    md.WriteLine("| engine | threads | batch | epoch s (median) | min–max | vs anchor | train loss (last timed epoch) |");
    md.WriteLine("|---|---|---|---|---|---|---|");
    var (x, y) = EpochBench.MakeData();
    foreach (int t in threads)
    {
        // Interleave the engines per thread count so a load change hits both.
        EpochBench.RunTorch(x, y, batches, t, warmup: 1, reps: epochs, md);
        EpochBench.RunOurs(x, y, batches, t, warmup: 1, reps: epochs, md);
    }
    md.WriteLine();
}
if (mode is "ours")
{
    // Our epoch only (no torch): quick A/B runs of two builds.
    md.WriteLine($"### Our training epoch only, 60,000 rows, 784-256-128-10 (median of {epochs} after 1 warm-up)");
    md.WriteLine();
    md.WriteLine("| engine | threads | batch | epoch s (median) | min–max | vs anchor | train loss (last timed epoch) |");
    md.WriteLine("|---|---|---|---|---|---|---|");
    var (x, y) = EpochBench.MakeData();
    foreach (int t in threads) EpochBench.RunOurs(x, y, batches, t, warmup: 1, reps: epochs, md);
    md.WriteLine();
}
if (mode is "cold")
{
    md.WriteLine($"### Cold start: fresh processes, 784-256-128-10 PredictionEngine and a small tabular Fit ({reps} runs per setting)");
    md.WriteLine();
    ColdStartBench.Run(reps, md);
    md.WriteLine();
}
if (mode is "contended")
{
    md.WriteLine($"### Two threads vs one, idle and with another process spinning on one core (784-256-128-10, 60,000 rows, median of {epochs} epochs after 1 warm-up); {LayerProfile.Machine()}; before: {LayerProfile.TwoCoreState()}");
    md.WriteLine();
    ContendedBench.Run(batches, warmup: 1, reps: epochs, md);
    md.WriteLine();
    md.WriteLine($"After: {LayerProfile.TwoCoreState()} (capacity = two threads' time for one thread's register-only FMA work each).");
    md.WriteLine();
}
if (mode is "layers")
{
    // Per-layer breakdown of our 784-256-128-10 step (no torch), % of one core's measured peak × threads.
    double peak = LayerProfile.MeasurePeak();
    md.WriteLine($"### Our step per layer, 784-256-128-10, 60,000 rows ({epochs} epochs after 1 untimed); {LayerProfile.Machine()}; one core's peak {peak:F0} GFLOP/s (256³ product); {LayerProfile.TwoCoreState()}");
    md.WriteLine();
    Console.WriteLine($"one core's peak {peak:F0} GFLOP/s");
    foreach (var h in LayerProfile.Header()) { md.WriteLine(h); Console.WriteLine(h); }
    var (x, y) = EpochBench.MakeData();
    foreach (int t in threads)
        foreach (int b in batches)
        {
            var net = new Network(new NetworkSpec { InputSize = EpochBench.Inputs, HiddenLayers = EpochBench.Hidden, OutputSize = EpochBench.Classes }, seed: 1);
            foreach (var line in LayerProfile.Run(net, x, y, EpochBench.Rows, b, t, epochs, peak * t)) { md.WriteLine(line); Console.WriteLine(line); }
            var ep = EpochBench.RunOursEpoch(x, y, b, t, 1, epochs)!.Value;
            string el = $"| {t} | the trainer's epoch (NetworkTrainer), per batch | {ep.Time.Median * 1e6 / ((EpochBench.Rows + b - 1) / b):F1} | | | |";
            md.WriteLine(el); Console.WriteLine(el);
        }
    md.WriteLine();
}
if (mode is "split")
{
    md.WriteLine($"### Each product at 1 vs 2 threads (median of {reps} interleaved samples); {LayerProfile.Machine()}; {LayerProfile.TwoCoreState()}");
    md.WriteLine();
    SplitBench.Run(reps, md);
    md.WriteLine();
}
if (mode is "profile")
{
    md.WriteLine($"### Our step, broken down (median of {reps} interleaved samples, scaled to one 60,000-row epoch)");
    md.WriteLine();
    var (x, y) = EpochBench.MakeData();
    ProfileBench.Run(x, y, batches, threads, reps, md);
    md.WriteLine();
}
if (mode is "scoring")
{
    md.WriteLine($"### Scoring: single-row latency and batch throughput (medians of {reps} interleaved samples)");
    md.WriteLine();
    ScoringBench.RunScoring(threads, reps, md);
    md.WriteLine();
}
if (mode is "tabular")
{
    md.WriteLine("### Small tabular net vs TorchSharp, and ML.NET's trainers");
    md.WriteLine();
    ScoringBench.RunTabular(threads, epochs, md);
    md.WriteLine();
}
if (mode is "tabprof")
{
    md.WriteLine($"### Our tabular epoch and per-batch breakdown ({epochs} epochs, {reps} interleaved samples); {LayerProfile.TwoCoreState()}");
    md.WriteLine();
    TabularProfile.Run(threads, epochs, reps, md, int.Parse(Opt("--warmup") ?? "5"));
    md.WriteLine();
    TabularProfile.RecipeLayers(threads, epochs, md);
    md.WriteLine();
}
if (mode is "curves")
{
    md.WriteLine("### Cost curves");
    md.WriteLine();
    ScoringBench.RunCurves(threads[0], md);
    md.WriteLine();
}
if (mode is "fashion")
{
    md.WriteLine($"### Fashion-MNIST: 784-256-128-10, ours vs TorchSharp, and our Mlp through ML.NET ({epochs} epochs)");
    md.WriteLine();
    FashionBench.Run(threads, epochs, md);
    md.WriteLine();
}
if (mode is "alloc")
{
    md.WriteLine("### Managed allocation per mini-batch, 784-256-128-10, 60,000 rows");
    md.WriteLine();
    ScoringBench.RunAllocations(md);
    md.WriteLine();
}
Console.WriteLine($"load average at end: {LoadAverage()}; tables written to {Path.GetFullPath(outFile)}");
Kernels.MaxThreads = Environment.ProcessorCount;

string? Opt(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
static int[] IntList(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
static string LoadAverage()
{
    try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "?"; }
}
