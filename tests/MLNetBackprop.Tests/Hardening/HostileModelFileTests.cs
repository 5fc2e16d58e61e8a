using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>Runs alone, so that process-wide allocation counters are not polluted by tests on other threads.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Hardening (serial)";
}

/// <summary>
/// Damaged model files (see <see cref="ModelFileFuzzer"/>) never load: every load ends in InvalidDataException or
/// FormatException naming what was wrong, never another exception type, a crash, a hang, or a model that loads.
/// </summary>
[Collection(SerialCollection.Name)]
public class HostileModelFileTests(ITestOutputHelper output)
{
    private const int CasesPerModel = 660; // 1,320 damaged files in all, as the README says (checked below)

    /// <summary>Loads of the undamaged file whose largest allocation is the baseline (the first load, which warms up, is not one of them).</summary>
    private const int CalibrationLoads = 5;

    /// <summary>
    /// Bytes a damaged load may allocate beyond the clean load, per byte of the damaged file. What can legitimately
    /// exceed the clean load is small: a damaged file may be larger than the clean one (bytes inserted or appended),
    /// each extra byte costing at most a few copies (inflated entry ~2–3× a zip byte, body copy, parsed array), and
    /// the rejection itself (exception objects and their messages, a few KB — a few bytes per byte of these 2–5 KB files).
    /// 16 covers that with room to spare, while any allocation sized by a forged count instead of the bytes present
    /// (a 2^31 count is GBs; even a count 10× too large is ~10 × file size × several copies) is far beyond it.
    /// </summary>
    private const long K = 16;

    /// <summary>Re-loads of a case whose allocation exceeded its bound, the least being kept (see the loop).</summary>
    private const int Retries = 3;

    /// <summary>Other threads' allocations the process-wide counter may include during one load (see the loop).</summary>
    private const long OtherThreadsAllowance = 512 << 10;

    /// <summary>A multiclass MLP alone (with Single key values), and a BatchNormalize → binary MLP (with in-network BatchNorm) chain.</summary>
    private static (byte[] Zip, IDataView Data)[] ValidModels()
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(FloatData(ml, x, y)).Transform(FloatData(ml, x, y));
        var mlp = ml.MulticlassClassification.Trainers.Mlp(Multiclass(epochs: 3)).Fit(keyed);
        using var a = new MemoryStream();
        ml.Model.Save(mlp, keyed.Schema, a);

        var binData = BoolData(ml, x, y);
        var options = Binary(epochs: 3);
        options.BatchNorm = true;
        options.FeatureColumnName = "Normalized";
        var chain = ml.Transforms.BatchNormalize("Normalized", "Features").Append(ml.BinaryClassification.Trainers.Mlp(options)).Fit(binData);
        using var b = new MemoryStream();
        ml.Model.Save(chain, binData.Schema, b);
        return [(a.ToArray(), keyed), (b.ToArray(), binData)];
    }

    private static readonly Type[] Wrappers = [typeof(TargetInvocationException), typeof(InvalidOperationException), typeof(InvalidDataException), typeof(FormatException)];

    /// <summary>The root cause, checked: only wrapper types above it, and it is an InvalidDataException or a FormatException.</summary>
    private static Exception CheckRejection(Exception e, FuzzCase c)
    {
        var chain = new List<Exception>();
        for (var x = e; x is not null; x = x.InnerException) chain.Add(x);
        var root = chain[^1];
        string trace = string.Join(" → ", chain.Select(x => $"{x.GetType().Name}: {x.Message}"));
        Assert.True(root is InvalidDataException or FormatException, $"[{c.Category}] {c.Description}: root exception {trace}\n{root.StackTrace}");
        Assert.All(chain.Take(chain.Count - 1), w => Assert.True(Wrappers.Contains(w.GetType()), $"[{c.Category}] {c.Description}: unexpected wrapper in {trace}"));
        Assert.False(string.IsNullOrWhiteSpace(root.Message));
        return root;
    }

    /// <summary>The reason with numbers and names masked, to tally how each class was rejected.</summary>
    private static string Reason(Exception root)
    {
        string m = root.Message;
        m = Regex.Replace(m, @" \(stored SHA-256.*", "");
        m = Regex.Replace(m, @"bad magic \w+ \(expected \w+\).*", "bad magic");
        m = Regex.Replace(m, @"'(frame version|kind length|body version|body length|kind)'", "<$1>");
        m = Regex.Replace(m, @"'[^']*'", "'…'");
        m = Regex.Replace(m, @"-?\d+(\.\d+)?(E[+-]?\d+)?", "N");
        return $"{root.GetType().Name}: {(m.Length > 110 ? m[..110] + "…" : m)}";
    }

    [Fact]
    public void DamagedModelFilesAreRejectedWithBoundedAllocation()
    {
        var models = ValidModels();
        var loader = new MLContext(2).RegisterBackprop();
        var tally = new SortedDictionary<string, int>();
        int total = 0;
        long worstFileSize = 0, maxAllocated = 0, maxTotalAllocated = 0;
        int retries = 0;
        double maxRatio = 0, maxSeconds = 0, maxExcessPerByte = double.NegativeInfinity, maxProcessExcessPerByte = double.NegativeInfinity;
        string worst = "";

        // Runs on its own thread so that a hang fails the test (with the case) instead of stalling the run.
        string? current = null;
        Exception? failure = null;
        var worker = new Thread(() =>
        {
            try
            {
                foreach (var (zip, data) in models)
                {
                    var fuzzer = new ModelFileFuzzer(zip);
                    // Control: the rebuilt, undamaged zip loads and scores exactly like the original.
                    var control = fuzzer.Rezip();
                    var (first, _) = Load(loader, control, out var good);
                    Assert.NotNull(good);
                    var original = loader.Model.Load(new MemoryStream(zip), out _);
                    AssertSameScores(good!, original, data);

                    // Calibration: what loading the undamaged file allocates, the most of several loads. It holds ML.NET's
                    // fixed per-load cost (zip directory, catalog lookup, hosts, schema, reflection) and everything our reader
                    // allocates for a complete, valid file (the inflated entry, the body copy, the parsed arrays, the network
                    // and its compiled inference copy). A damaged file only has to stay under it plus a small allowance per
                    // byte, so nothing may grow with a forged count.
                    long clean = 0, cleanProcess = 0;
                    for (int i = 0; i < CalibrationLoads; i++)
                    {
                        var (t, p) = Load(loader, control, out var again);
                        Assert.NotNull(again);
                        clean = Math.Max(clean, t);
                        cleanProcess = Math.Max(cleanProcess, p);
                    }
                    output.WriteLine($"valid model ({string.Join(" + ", fuzzer.Kinds)}; {fuzzer.PayloadBytes} payload bytes): zip {control.Length} bytes, " +
                                     $"load allocates {first:N0} bytes the first time, at most {clean:N0} (thread) / {cleanProcess:N0} (process) in {CalibrationLoads} more");

                    foreach (var c in fuzzer.Generate(seed: 12345 + total, CasesPerModel))
                    {
                        current = $"[{c.Category}] {c.Description}";
                        var sw = Stopwatch.StartNew();
                        var (allocated, totalAllocated) = Load(loader, c.Zip, out var loaded, out var error);
                        sw.Stop();
                        Assert.True(loaded is null, $"{current}: the damaged file LOADED.");
                        var root = CheckRejection(error!, c);
                        if (c.Category != "truncate-raw")
                            Assert.Contains(" payload", root.Message); // reached our reader: the message names the payload and what is wrong
                        string key = $"{c.Category,-13} {Reason(root)}";
                        tally[key] = tally.GetValueOrDefault(key) + 1;
                        total++;

                        // Bound: the clean load's allocation + K × the damaged file's size (see K). Every count is checked
                        // against the bytes remaining before anything is allocated, so a damaged load allocates at most
                        // what a valid load of its bytes would; a reader that trusted a forged count (2^31 in the "count"
                        // cases, or merely a few times too many) would exceed this by far more than K bytes per file byte.
                        // A one-time cost (the first rejection of a kind warms up resource and exception machinery) does not
                        // repeat; a load's own allocation does: a case over the bound is loaded again (up to Retries times)
                        // and the least is taken.
                        long bound = clean + K * c.Zip.Length;
                        for (int retry = 0; retry < Retries && allocated > bound; retry++)
                        {
                            retries++;
                            allocated = Math.Min(allocated, Load(loader, c.Zip, out _, out _).Thread);
                        }
                        Assert.True(allocated <= bound, $"{current}: {allocated:N0} bytes allocated on the loading thread; bound {bound:N0} = clean load {clean:N0} + {K} × {c.Zip.Length}-byte file");
                        // Process-wide (a secondary check, for work a loader might hand to other threads) also counts the
                        // test runner's and the runtime's threads, whose bursts of up to ~200 KB (measured) are not the load's:
                        // the bound adds OtherThreadsAllowance, and a case over it is loaded again, up to Retries times,
                        // the least being taken — a load's own allocation repeats, a burst does not. The per-byte check that
                        // matters is the thread one above; this one still catches anything sized by a forged count (MBs–GBs).
                        long processBound = cleanProcess + K * c.Zip.Length + OtherThreadsAllowance;
                        for (int retry = 0; retry < Retries && totalAllocated > processBound; retry++)
                        {
                            retries++;
                            totalAllocated = Math.Min(totalAllocated, Load(loader, c.Zip, out _, out _).Process);
                        }
                        Assert.True(totalAllocated <= processBound, $"{current}: {totalAllocated:N0} bytes allocated process-wide; bound {processBound:N0} = clean load {cleanProcess:N0} + {K} × {c.Zip.Length}-byte file + {OtherThreadsAllowance:N0} for other threads");
                        maxExcessPerByte = Math.Max(maxExcessPerByte, (allocated - clean) / (double)c.Zip.Length);
                        maxProcessExcessPerByte = Math.Max(maxProcessExcessPerByte, (totalAllocated - cleanProcess) / (double)c.Zip.Length);
                        double ratio = allocated / (double)c.Zip.Length;
                        if (ratio > maxRatio) { maxRatio = ratio; worst = current; worstFileSize = c.Zip.Length; }
                        maxAllocated = Math.Max(maxAllocated, allocated);
                        maxTotalAllocated = Math.Max(maxTotalAllocated, totalAllocated);
                        maxSeconds = Math.Max(maxSeconds, sw.Elapsed.TotalSeconds);
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 16 << 20);
        worker.Start();
        Assert.True(worker.Join(TimeSpan.FromSeconds(120)), $"hang: no result after 120 s; last case {current}");
        if (failure is not null) throw new Xunit.Sdk.XunitException($"{failure.Message}\n{failure.StackTrace}");

        output.WriteLine($"{total} damaged files, all rejected. Max allocation per load {maxAllocated:N0} bytes (thread), {maxTotalAllocated:N0} (process); max ratio {maxRatio:F1}× the {worstFileSize}-byte file ({worst}); slowest load {maxSeconds * 1000:F0} ms.");
        output.WriteLine($"Most allocated beyond the clean load: {maxExcessPerByte:F2} bytes per file byte (thread), {maxProcessExcessPerByte:F2} (process), after {retries} re-loads; allowed {K}.");
        foreach (var (reason, n) in tally) output.WriteLine($"{n,5}  {reason}");
        Assert.Equal(2 * CasesPerModel, total);
        Assert.Contains(tally.Keys, k => k.Contains("checksum mismatch"));
    }

    /// <summary>The README states how many damaged files the test above rejects: the number it really generates.</summary>
    [Fact]
    public void TheReadmeStatesTheNumberOfDamagedFiles()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        Assert.Contains($"{2 * CasesPerModel:N0} deliberately damaged model files", readme.ReplaceLineEndings(" "));
    }

    private static (long Thread, long Process) Load(MLContext ml, byte[] zip, out ITransformer? model) => Load(ml, zip, out model, out _);

    private static (long Thread, long Process) Load(MLContext ml, byte[] zip, out ITransformer? model, out Exception? error)
    {
        using var stream = new MemoryStream(zip, writable: false);
        model = null;
        error = null;
        long t0 = GC.GetAllocatedBytesForCurrentThread();
        long p0 = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            model = ml.Model.Load(stream, out _);
        }
        catch (Exception e)
        {
            error = e;
        }
        return (GC.GetAllocatedBytesForCurrentThread() - t0, GC.GetTotalAllocatedBytes(precise: true) - p0);
    }

    private static void AssertSameScores(ITransformer a, ITransformer b, IDataView data)
    {
        var sb = b.Transform(data);
        var ta = a.Transform(data);
        var col = ta.Schema["Score"];
        if (col.Type is VectorDataViewType)
            Assert.Equal(ta.GetColumn<float[]>("Score").ToArray(), sb.GetColumn<float[]>("Score").ToArray());
        else
            Assert.Equal(ta.GetColumn<float>("Score").ToArray(), sb.GetColumn<float>("Score").ToArray());
    }
}
