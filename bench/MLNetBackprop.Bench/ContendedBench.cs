using MLNetBackprop.Engine;
using System.Diagnostics;

namespace MLNetBackprop.Bench;

/// <summary>
/// `contended` mode: our 784-256-128-10 epoch at 1 and 2 threads on an idle machine and while another
/// process spins on one core (a child process of this bench in `spin` mode: one thread in a busy loop,
/// as a second service or a build on the same box would). The kernels' thread pool must never make two
/// threads slower than one: the goal is 2 threads ≤ 1.05× 1 thread under contention.
/// </summary>
public static class ContendedBench
{
    /// <summary>The `spin` child: one thread busy until the parent kills it (or 10 minutes pass).</summary>
    public static void Spin()
    {
        var until = Stopwatch.StartNew();
        double x = 1;
        while (until.Elapsed.TotalMinutes < 10)
            for (int i = 0; i < 1_000_000; i++) x = x * 1.0000001 + 1e-9;
        Console.WriteLine(x);
    }

    public static void Run(int[] batches, int warmup, int reps, TextWriter md)
    {
        md.WriteLine("| machine state | threads | batch | epoch s (median) | min–max | 2 threads / 1 thread | kernel pool |");
        md.WriteLine("|---|---|---|---|---|---|---|");
        var (x, y) = EpochBench.MakeData();
        foreach (bool contended in new[] { false, true })
        {
            Process? spinner = null;
            if (contended)
            {
                string self = typeof(ContendedBench).Assembly.Location;
                spinner = Process.Start(new ProcessStartInfo("dotnet", $"\"{self}\" spin") { RedirectStandardOutput = true, UseShellExecute = false })
                    ?? throw new InvalidOperationException("Could not start the spinning process.");
                Thread.Sleep(500); // let it start spinning
            }
            try
            {
                foreach (int batch in batches)
                {
                    double one = 0;
                    foreach (int threads in new[] { 1, 2 })
                    {
                        var before = WorkerPool.Counters;
                        var r = EpochBench.RunOursEpoch(x, y, batch, threads, warmup, reps)!.Value;
                        var pool = WorkerPool.Counters.Since(before);
                        if (threads == 1) one = r.Time.Median;
                        string state = contended ? "another process spins on one core" : $"idle (round trip {LayerProfile.CrossCoreRoundTripNanoseconds():F0} ns)";
                        string ratio = threads == 2 ? $"{r.Time.Median / one:F2}" : "";
                        string line = $"| {state} | {threads} | {batch} | {r.Time.Median:F3} | {r.Time.Min:F3}–{r.Time.Max:F3} | {ratio} | {(threads > 1 ? pool.ToString() : "")} |";
                        Console.WriteLine(line);
                        md.WriteLine(line);
                        md.Flush();
                    }
                }
            }
            finally
            {
                if (spinner is not null) { try { spinner.Kill(); } catch (InvalidOperationException) { } spinner.Dispose(); }
            }
        }
    }
}
