using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Bench;

/// <summary>
/// "Big data": training streamed from a lazily generated IDataView under MlpOptionsBase.MemoryBudgetMegabytes.
/// Usage: streaming [--rows 10000000] [--features 100] [--budget 256] [--epochs 1] [--hidden 64] [--batch 256]
///        [--threads 1] [--compare-rows 1000000] [--out FILE]. Prints and writes a markdown table.
/// --compare-rows N first trains N × 20 streamed (16 MB budget) and in memory; --rows 0 skips the big run.
/// </summary>
public static class StreamingBench
{
    public static void Run(string[] args)
    {
        long rows = long.Parse(Opt(args, "--rows") ?? "10000000");
        int features = int.Parse(Opt(args, "--features") ?? "100");
        int budget = int.Parse(Opt(args, "--budget") ?? "256");
        int epochs = int.Parse(Opt(args, "--epochs") ?? "1");
        int hidden = int.Parse(Opt(args, "--hidden") ?? "64");
        int batch = int.Parse(Opt(args, "--batch") ?? "256");
        int threads = int.Parse(Opt(args, "--threads") ?? "1");
        long compareRows = long.Parse(Opt(args, "--compare-rows") ?? "1000000");
        string outFile = Opt(args, "--out") ?? "bench-streaming.md";

        using var md = new StreamWriter(outFile, append: false);
        md.WriteLine($"_{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, load average {LoadAverage()}; " +
                     $"command: `streaming {string.Join(' ', args.Skip(1))}`_");
        md.WriteLine();
        md.WriteLine("| data | mode | budget | window / passes per epoch | epochs | train s | s / epoch | peak live heap | peak GC heap | peak RSS (process) | holdout AUC |");
        md.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        // Peak RSS is the process's high-water mark so far: run the big configuration in a process of its own
        // (--compare-rows 0), and the streamed half of the comparison before the in-memory half.
        if (compareRows > 0)
        {
            One(md, compareRows, 20, 16, epochs, hidden, batch, threads);
            One(md, compareRows, 20, null, epochs, hidden, batch, threads);
        }
        if (rows > 0) One(md, rows, features, budget, epochs, hidden, batch, threads);
        Console.WriteLine($"table written to {Path.GetFullPath(outFile)}");
    }

    private static void One(StreamWriter md, long rows, int features, int? budget, int epochs, int hidden, int batch, int threads)
    {
        var data = new LazyView(rows, features, seed: 1);
        var ml = new MLContext(1);
        string note = "";
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("training rows")) { note = e.Message; Console.WriteLine(e.Message); }
            else if (e.Message.Contains("Epoch ")) Console.WriteLine(e.Message);
        };
        var options = new MlpBinaryTrainer.Options(MlpPreset.Classic)
        {
            HiddenLayers = [hidden], Epochs = epochs, BatchSize = batch, Seed = 1, NumberOfThreads = threads,
            MemoryBudgetMegabytes = budget, Optimizer = Optimizer.Adam(3e-3f),
        };
        GC.Collect();
        long baseline = GC.GetTotalMemory(true), peakLive = baseline, peakHeap = 0;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            do
            {
                peakLive = Math.Max(peakLive, GC.GetTotalMemory(forceFullCollection: true));
                peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
            }
            while (!done.Wait(250));
        }) { IsBackground = true };
        sampler.Start();
        var clock = Stopwatch.StartNew();
        var model = ml.BinaryClassification.Trainers.Mlp(options).Fit(data);
        clock.Stop();
        done.Set();
        sampler.Join();
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var auc = ml.BinaryClassification.Evaluate(model.Transform(new LazyView(100_000, features, seed: 42))).AreaUnderRocCurve;
        double epochSeconds = model.Model.History.Epochs.Count > 0 ? model.Model.History.Epochs[^1].Elapsed.TotalSeconds / model.Model.History.Epochs.Count : 0;
        long rss = PeakRss();
        string window = note.Contains("streamed:") ? note[(note.IndexOf("a window of") + 12)..note.IndexOf(" rows for")] + " rows / " + note.Split("blocks of ")[1].Split(", ")[1].Split(" passes")[0] : "—";
        string line = $"| {rows:N0} × {features} ({rows * (features + 2) * 4 / 1e6:N0} MB as floats) | {(budget is null ? "in memory" : "streamed")} | {(budget is { } b ? $"{b} MB" : "—")} | {window} | {epochs} | {trainSeconds:F1} | {epochSeconds:F1} | " +
                      $"{peakLive / 1e6:F0} MB | {peakHeap / 1e6:F0} MB | {rss / 1e6:F0} MB | {auc:F4} |";
        Console.WriteLine(line);
        md.WriteLine(line);
        md.Flush();
    }

    /// <summary>VmHWM: the process's peak resident set so far.</summary>
    private static long PeakRss()
    {
        foreach (var l in File.ReadLines("/proc/self/status"))
            if (l.StartsWith("VmHWM:")) return long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    private static string? Opt(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    /// <summary>
    /// Rows generated on demand: features uniform in [−1, 1] from CounterRandom(seed, row), label
    /// x0·x1 + ½ sin 3x2 + 0.3 x3 &gt; 0. Nothing is materialised; a row no getter asks for costs nothing.
    /// </summary>
    private sealed class LazyView : IDataView
    {
        private readonly long _rows, _seed;
        private readonly int _features;

        public LazyView(long rows, int features, long seed)
        {
            _rows = rows;
            _features = features;
            _seed = seed;
            var b = new DataViewSchema.Builder();
            b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, features));
            b.AddColumn("Label", BooleanDataViewType.Instance);
            Schema = b.ToSchema();
        }

        public DataViewSchema Schema { get; }
        public bool CanShuffle => false;
        public long? GetRowCount() => _rows;
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

        private sealed class Cursor(LazyView view) : DataViewRowCursor
        {
            private readonly float[] _x = new float[view._features];
            private long _position = -1, _filled = -1;

            public override DataViewSchema Schema => view.Schema;
            public override long Position => _position;
            public override long Batch => 0;
            public override bool IsColumnActive(DataViewSchema.Column column) => true;
            public override bool MoveNext() => _position + 1 < view._rows && ++_position >= 0;

            private float[] Row()
            {
                if (_filled != _position)
                {
                    var r = new CounterRandom(view._seed, _position);
                    for (int j = 0; j < _x.Length; j++) _x[j] = 2 * r.NextSingle() - 1;
                    _filled = _position;
                }
                return _x;
            }

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                Delegate getter = column.Index == 0
                    ? (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
                    {
                        var editor = VBufferEditor.Create(ref v, _x.Length);
                        Row().CopyTo(editor.Values);
                        v = editor.Commit();
                    })
                    : (ValueGetter<bool>)((ref bool y) =>
                    {
                        var x = Row();
                        y = x[0] * x[1] + 0.5f * MathF.Sin(3 * x[2]) + 0.3f * x[3] > 0;
                    });
                return (ValueGetter<TValue>)getter;
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
        }
    }
}
