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
    private const int CasesPerModel = 660; // 1,320 damaged files in all

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
        double maxRatio = 0, maxSeconds = 0;
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
                    var (calibration, _) = Load(loader, control, out var good);
                    Assert.NotNull(good);
                    var original = loader.Model.Load(new MemoryStream(zip), out _);
                    AssertSameScores(good!, original, data);
                    output.WriteLine($"valid model ({string.Join(" + ", fuzzer.Kinds)}; {fuzzer.PayloadBytes} payload bytes): zip {control.Length} bytes, load allocates {calibration:N0} bytes");

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

                        // Bound: 64 × the file's size + 4 MB. What a load allocates beyond ML.NET's fixed cost is
                        // proportional to the bytes present — the zip entry inflated into memory, our body copy, the
                        // parsed arrays, the network's parameters and the compiled inference copy, under ten copies in
                        // all — because every count is checked against the bytes remaining before anything is
                        // allocated (a reader that trusted the 2^31 counts of the "count" cases would ask for GBs).
                        // 64× leaves ample headroom over that (entries here compress ~2–3×); 4 MB covers ML.NET's own
                        // per-load cost (zip directory, catalog lookup, hosts, schema, reflection): the undamaged
                        // control loads above allocate 0.1–1.1 MB, the first load in a context being the dearest.
                        long bound = 64L * c.Zip.Length + (4 << 20);
                        Assert.True(allocated <= bound, $"{current}: {allocated:N0} bytes allocated on the loading thread, bound {bound:N0}");
                        Assert.True(totalAllocated <= bound + (4 << 20), $"{current}: {totalAllocated:N0} bytes allocated process-wide, bound {bound:N0}");
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
        foreach (var (reason, n) in tally) output.WriteLine($"{n,5}  {reason}");
        Assert.True(total >= 1000);
        Assert.Contains(tally.Keys, k => k.Contains("checksum mismatch"));
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
