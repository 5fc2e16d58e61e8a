using System.Globalization;
using System.Text;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// What the arena prints (flushed line by line, each set as it finishes) and, with <c>--markdown FILE</c>, the same
/// tables as markdown — the file is rewritten after every set, so a long run that stops early keeps what it did.
/// </summary>
public sealed class ArenaReport(ArenaOptions options, string command, PeerCache? cache)
{
    private readonly List<string> _header = [];
    private readonly List<string> _details = [];

    private static string Pt(double metric) => double.IsNaN(metric) ? "failed" : (100 * metric).ToString("F2", CultureInfo.InvariantCulture);
    private static string Gap(double points) => double.IsNaN(points) ? "–" : points.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
    private static string Sec(double s) => double.IsNaN(s) ? "–" : s < 10 ? s.ToString("F3", CultureInfo.InvariantCulture) : s.ToString("F1", CultureInfo.InvariantCulture);
    private static string Ratio(double r) => double.IsNaN(r) ? "–" : r.ToString(r < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) + "×";

    /// <summary>Means equal up to floating-point summation order (e.g. the same accuracy k/n reached on different seeds) count as ties: Mlp ≥ peer.</summary>
    private const double TiePoints = 1e-9;

    private static string PerSeed(TrainerOnSet t) => string.Join(' ', t.Seeds.Select(s => Pt(s.Metric) + (s.Cached ? "*" : "")));
    private static string PerSeedSeconds(TrainerOnSet t) => string.Join(' ', t.Seeds.Select(s => Sec(s.Seconds)));

    private static void Out(string line = "")
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }

    public void Start(IReadOnlyList<ArenaTrainer> peers, IReadOnlyList<ArenaTrainer> mlps, bool runPeers)
    {
        _header.Add($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; command: `arena {command}`");
        _header.AddRange(MachineInfo.Describe());
        _header.Add($"data: {options.DataDir}; sets: {string.Join(", ", options.Sets)}; seeds 1..{options.Seeds}");
        _header.Add($"peers: {(peers.Count == 0 ? "none" : string.Join(", ", peers.Select(p => p.Id)))}{(runPeers ? "" : " (from the cache only)")}; Mlp variants: {string.Join(", ", mlps.Select(m => m.Id))}");
        if (cache is not null)
            _header.Add($"PEER CACHE {cache.Path} ({cache.Count} entries): cached peer numbers are reused and marked * — not measured in this run; " +
                        "the official table runs the peers in the same run (no --peer-cache)");
        foreach (var l in _header) Out(l);
        Out("protocol: per seed s, a new Random(s) shuffle of the rows, 75/25 (stratified by class for classification); featurisation " +
            "(OneHotEncoding over all cat columns + ReplaceMissingValues(mean) + Concatenate) fitted on the training part, cached; each trainer " +
            "on a fresh MLContext(s), fit time = Fit alone; metric × 100 = points; best peer chosen per set from the means over seeds.");
        Out();
    }

    public void SetStart(TabularSet set)
    {
        int cat = set.Schema.Categorical.Count();
        string classes = set.Schema.Task == ArenaTask.Regression ? "" : $", {set.ClassCount} classes";
        Out($"== {set.Name}: {set.Schema.Task.Name()} ({set.Schema.Task.MetricName()}), {set.Rows} rows, {set.Schema.Columns.Count - 1} feature columns ({cat} categorical){classes}");
    }

    public void SeedLine(int seed, FeaturizedSplit data, IEnumerable<TrainerOnSet> rows)
    {
        var parts = rows.Where(r => r.Seeds.Count == seed).Select(r =>
        {
            var x = r.Seeds[^1];
            return $"{r.Trainer.Column} {Pt(x.Metric)}{(x.Cached ? "*" : "")} ({Sec(x.Seconds)} s)";
        });
        Out($"  seed {seed}: train {data.TrainRows} / test {data.TestRows}, {data.FeatureCount} features (featurised in {Sec(data.Seconds)} s) | {string.Join(" | ", parts)}");
    }

    public void SetEnd(SetResult r, double wallSeconds)
    {
        var lines = new List<string>
        {
            $"{"trainer",-28} {"mean",7} {"min–max",15}  {"per seed",-26} {"fit s (mean)",12}  fit s per seed",
        };
        foreach (var t in r.Peers.Concat(r.Mlps))
            lines.Add($"{t.DisplayName,-28} {Pt(t.Mean),7} {Pt(t.Min) + "–" + Pt(t.Max),15}  {PerSeed(t),-26} {Sec(t.MeanSeconds),12}  {PerSeedSeconds(t)}");
        var best = r.BestPeer;
        lines.Add(best is null ? "best peer: none (no peer results)" : $"best peer: {best.DisplayName} {Pt(best.Mean)}");
        foreach (var m in r.Mlps)
            lines.Add($"{m.DisplayName}: gap to best peer {Gap(r.GapToBest(m))} pt, to LightGbm {Gap(r.GapToLightGbm(m))} pt; fit time Mlp/LightGbm {Ratio(r.TimeRatio(m))}");
        foreach (var n in r.Notes) lines.Add($"note: {n}");
        string load = MachineInfo.LoadAverage();
        lines.Add($"({r.Name}: {wallSeconds:F1} s wall, featurisation {Sec(r.FeaturizeSeconds)} s per seed; load average {load})");
        foreach (var l in lines) Out("  " + l);
        Out();
        _details.Add($"#### {r.Name} ({r.Task.Name()}, {r.Task.MetricName()} × 100; train {r.TrainRows} / test {r.TestRows}, {r.Features} features; {wallSeconds:F0} s wall; load average at end {load})");
        _details.Add("");
        _details.Add("| trainer | mean | min–max | per seed | fit s (mean) | fit s per seed |");
        _details.Add("|---|---|---|---|---|---|");
        foreach (var t in r.Peers.Concat(r.Mlps))
            _details.Add($"| {t.DisplayName} | {Pt(t.Mean)} | {Pt(t.Min)}–{Pt(t.Max)} | {PerSeed(t)} | {Sec(t.MeanSeconds)} | {PerSeedSeconds(t)} |");
        _details.Add("");
        foreach (var n in r.Notes) _details.Add($"- {n}");
        if (r.Notes.Count > 0) _details.Add("");
    }

    /// <summary>One row per set: every peer's mean metric (mean fit s), the best peer, each Mlp variant with its gaps and time ratio.</summary>
    private List<string> SummaryTable(IReadOnlyList<SetResult> results)
    {
        var peerColumns = ArenaPeers.All.Where(p => results.Any(r => r.Peers.Any(x => x.Trainer.Id == p.Id))).ToList();
        var variants = results.SelectMany(r => r.Mlps.Select(m => m.Trainer.Id)).Distinct().ToList();
        var head = new StringBuilder("| set | task | rows | features |");
        var rule = new StringBuilder("|---|---|---:|---:|");
        foreach (var p in peerColumns) { head.Append($" {p.Column} |"); rule.Append("---:|"); }
        head.Append(" best peer |"); rule.Append("---|");
        foreach (var v in variants) { head.Append($" Mlp {v} | gap best | gap LightGbm | time Mlp/LightGbm |"); rule.Append("---:|---:|---:|---:|"); }
        var lines = new List<string> { head.ToString(), rule.ToString() };
        foreach (var r in results)
        {
            var row = new StringBuilder($"| {r.Name} | {r.Task.Name()} | {r.Rows} | {r.Features} |");
            foreach (var p in peerColumns)
            {
                var t = r.Peers.FirstOrDefault(x => x.Trainer.Id == p.Id);
                row.Append(t is null ? " n/a |" : $" {Pt(t.Mean)}{(t.AnyCached ? "*" : "")} ({Sec(t.MeanSeconds)} s) |");
            }
            row.Append(r.BestPeer is { } b ? $" {b.Trainer.Column} {Pt(b.Mean)} |" : " – |");
            foreach (var v in variants)
            {
                var m = r.Mlps.FirstOrDefault(x => x.Trainer.Id == v);
                row.Append(m is null ? " | | | |"
                    : $" {Pt(m.Mean)} ({Sec(m.MeanSeconds)} s) | {Gap(r.GapToBest(m))} | {Gap(r.GapToLightGbm(m))} | {Ratio(r.TimeRatio(m))} |");
            }
            lines.Add(row.ToString());
        }
        return lines;
    }

    /// <summary>Per variant: mean and worst gap to the best peer, wins against LightGbm and the best peer, median time ratio, total fit time.</summary>
    private static List<string> SummaryLines(IReadOnlyList<SetResult> results)
    {
        var lines = new List<string>();
        var variants = results.SelectMany(r => r.Mlps.Select(m => m.Trainer.Id)).Distinct();
        foreach (var v in variants)
        {
            var rows = results.Select(r => (r, m: r.Mlps.First(x => x.Trainer.Id == v))).ToList();
            int n = rows.Count;
            var gaps = rows.Select(x => (x.r.Name, gap: x.r.GapToBest(x.m))).Where(x => !double.IsNaN(x.gap)).ToList();
            var lgbm = rows.Select(x => x.r.GapToLightGbm(x.m)).Where(g => !double.IsNaN(g)).ToList();
            var ratios = rows.Select(x => x.r.TimeRatio(x.m)).Where(t => !double.IsNaN(t)).Order().ToList();
            int failed = rows.Count(x => double.IsNaN(x.m.Mean));
            string worst = gaps.Count == 0 ? "–" : $"{Gap(gaps.MinBy(g => g.gap).gap)} pt ({gaps.MinBy(g => g.gap).Name})";
            int geL = lgbm.Count(g => g >= -TiePoints), geB = gaps.Count(g => g.gap >= -TiePoints);
            double median = ratios.Count == 0 ? double.NaN : ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : 0.5 * (ratios[ratios.Count / 2 - 1] + ratios[ratios.Count / 2]);
            double totalFit = rows.Sum(x => x.m.TotalSeconds);
            lines.Add($"Mlp {v}: mean gap to best peer {(gaps.Count == 0 ? "–" : Gap(gaps.Average(g => g.gap)))} pt over {gaps.Count} sets; worst {worst}; " +
                      $"≥ LightGbm on {geL}/{lgbm.Count} sets ({Pct(geL, lgbm.Count)}); ≥ best peer on {geB}/{gaps.Count} ({Pct(geB, gaps.Count)}); " +
                      $"median fit time Mlp/LightGbm {Ratio(median)}; total Mlp fit time {totalFit:F1} s ({n} sets × {rows.Max(x => x.m.Seeds.Count)} seeds)" +
                      (failed > 0 ? $"; FAILED on {failed} set(s)" : ""));
        }
        return lines;

        static string Pct(int k, int n) => n == 0 ? "–" : $"{100.0 * k / n:F0} %";
    }

    public void Summary(IReadOnlyList<SetResult> results, double wallSeconds)
    {
        Out("== summary (metric × 100, mean over seeds; (mean fit s); gaps in points; * = peer numbers from the cache, not this run)");
        foreach (var l in SummaryTable(results)) Out(l);
        Out();
        foreach (var l in SummaryLines(results)) Out(l);
        if (cache is not null)
            Out($"PEER CACHE: {cache.Hits} peer results reused from {cache.Path}, {cache.Stored} measured in this run and stored.");
        var notes = results.SelectMany(r => r.Notes.Select(n => $"{r.Name}: {n}")).ToList();
        if (notes.Count > 0)
        {
            Out("notes:");
            foreach (var n in notes) Out("  " + n);
        }
        Out($"arena: {results.Count} sets in {wallSeconds / 60:F1} min; load average at end {MachineInfo.LoadAverage()}");
    }

    public void WriteMarkdown(IReadOnlyList<SetResult> results, bool final = false)
    {
        if (options.Markdown is null) return;
        var md = new List<string> { "### Tabular arena: Mlp vs ML.NET's trainers (same splits, same features)", "" };
        md.AddRange(_header.Select(h => "- " + h));
        md.Add("");
        md.Add(final ? $"{results.Count} sets." : $"In progress: {results.Count} of {options.Sets.Count} sets so far.");
        md.Add("");
        md.Add("Metric × 100 (binary AUC, multiclass micro accuracy, regression R²), mean over seeds, (mean fit s). " +
               "Gaps in points: Mlp − best peer (chosen per set from the means), Mlp − LightGbm." +
               (cache is not null ? " * = peer numbers from the cache, not measured in this run." : ""));
        md.Add("");
        md.AddRange(SummaryTable(results));
        md.Add("");
        md.AddRange(SummaryLines(results).Select(l => "- " + l));
        md.Add("");
        md.Add("#### Per set, per seed");
        md.Add("");
        md.AddRange(_details);
        string full = Path.GetFullPath(options.Markdown);
        File.WriteAllLines(full + ".tmp", md);
        File.Move(full + ".tmp", full, overwrite: true);
    }
}
