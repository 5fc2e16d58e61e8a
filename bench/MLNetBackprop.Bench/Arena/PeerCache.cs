using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// Development aid (<c>--peer-cache FILE</c>): the peers' metric and fit time per (set, seed, trainer) in a JSON
/// file, reused when present so that iterating on the Mlp does not re-train the peers. An entry is reused only
/// if the split and the featurisation it was measured on have the same sizes (train rows, test rows, features).
/// Official tables run the peers in the same run as the Mlp, without the cache.
/// </summary>
public sealed class PeerCache
{
    public sealed record Entry(double Metric, double Seconds, string? Error, int TrainRows, int TestRows, int Features, string Measured);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly string _path;
    private readonly SortedDictionary<string, Entry> _entries;

    public int Hits { get; private set; }
    public int Stored { get; private set; }
    public string Path => _path;

    private PeerCache(string path, SortedDictionary<string, Entry> entries) { _path = path; _entries = entries; }

    public static PeerCache Open(string path)
    {
        var entries = File.Exists(path)
            ? JsonSerializer.Deserialize<SortedDictionary<string, Entry>>(File.ReadAllText(path), Json) ?? new()
            : new SortedDictionary<string, Entry>();
        return new PeerCache(path, new SortedDictionary<string, Entry>(entries, StringComparer.Ordinal));
    }

    public int Count => _entries.Count;

    private static string Key(string set, int seed, string trainer) => $"{set}|{seed}|{trainer}";

    public FitResult? TryGet(string set, int seed, string trainer, FeaturizedSplit data)
    {
        if (!_entries.TryGetValue(Key(set, seed, trainer), out var e)) return null;
        if (e.TrainRows != data.TrainRows || e.TestRows != data.TestRows || e.Features != data.FeatureCount) return null;
        Hits++;
        return new FitResult(e.Metric, e.Seconds, e.Error, Cached: true);
    }

    public void Put(string set, int seed, string trainer, FeaturizedSplit data, FitResult r)
    {
        _entries[Key(set, seed, trainer)] = new Entry(r.Metric, r.Seconds, r.Error, data.TrainRows, data.TestRows, data.FeatureCount, DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"));
        Stored++;
    }

    /// <summary>Writes the file (to a temporary file first, then renamed over it).</summary>
    public void Save()
    {
        string full = System.IO.Path.GetFullPath(_path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_entries, Json));
        File.Move(tmp, full, overwrite: true);
    }
}
