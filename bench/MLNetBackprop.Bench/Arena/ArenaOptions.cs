namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// Command line of the arena:
/// <c>arena [--sets a,b,c|all] [--seeds N] [--mlp default,variant2,...] [--peers all|none|lightgbm,...]
/// [--peer-cache FILE] [--markdown FILE] [--data DIR]</c>.
/// The data folder defaults to <c>../shared/datasets</c> relative to the repository root, found by walking up
/// from the current directory, then from the assembly's folder.
/// </summary>
public sealed record ArenaOptions(IReadOnlyList<string> Sets, int Seeds, IReadOnlyList<string> Mlp, string Peers,
    string? PeerCache, string? Markdown, string DataDir)
{
    public const string Usage =
        "arena [--sets a,b,c|all] [--seeds N] [--mlp default,variant2,...] [--peers all|none|lightgbm,fasttree,fastforest,lbfgs,sdca] " +
        "[--peer-cache FILE] [--markdown FILE] [--data DIR]";

    private static readonly string[] Known = ["--sets", "--seeds", "--mlp", "--peers", "--peer-cache", "--markdown", "--data"];

    /// <param name="args">The arguments after the mode name.</param>
    public static ArenaOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!Known.Contains(args[i]) || i + 1 >= args.Length)
                throw new ArgumentException($"unexpected argument '{args[i]}'. Usage: {Usage}");
            values[args[i]] = args[++i];
        }
        string dataDir = values.TryGetValue("--data", out var d) ? DataFolder(d) : DefaultDataDir();
        var available = TabularSet.Available(dataDir);
        string sets = values.GetValueOrDefault("--sets", "all");
        var chosen = sets.Equals("all", StringComparison.OrdinalIgnoreCase) ? available : List(sets);
        foreach (var s in chosen)
            if (!available.Contains(s)) throw new ArgumentException($"unknown set '{s}' in {dataDir}; available: {string.Join(", ", available)}");
        int seeds = int.Parse(values.GetValueOrDefault("--seeds", "3"));
        if (seeds < 1) throw new ArgumentException("--seeds must be ≥ 1");
        var mlp = List(values.GetValueOrDefault("--mlp", "default"));
        foreach (var m in mlp) ArenaVariants.Trainer(m); // unknown names fail now, not after an hour of peers
        string peers = values.GetValueOrDefault("--peers", "all");
        ArenaPeers.Select(peers);
        return new ArenaOptions(chosen, seeds, mlp, peers, values.GetValueOrDefault("--peer-cache"), values.GetValueOrDefault("--markdown"), dataDir);
    }

    private static List<string> List(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>Accepts the datasets folder itself or the shared folder above it.</summary>
    private static string DataFolder(string dir)
    {
        string full = Path.GetFullPath(dir);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"--data {dir}: no such folder");
        string nested = Path.Combine(full, "datasets");
        return !Directory.Exists(Path.Combine(full, "tabular")) && Directory.Exists(nested) ? nested : full;
    }

    private static string DefaultDataDir()
    {
        foreach (var root in RepoRoots())
        {
            string data = Path.GetFullPath(Path.Combine(root, "..", "shared", "datasets"));
            if (Directory.Exists(data)) return data;
        }
        throw new DirectoryNotFoundException("could not find ../shared/datasets relative to the repository root; pass --data DIR");
    }

    /// <summary>The repository root (the folder with Directory.Packages.props and bench/) above the current directory, else above the assembly.</summary>
    public static string? RepoRoot() => RepoRoots().FirstOrDefault();

    private static IEnumerable<string> RepoRoots()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")) && Directory.Exists(Path.Combine(dir.FullName, "bench")))
                    yield return dir.FullName;
    }
}
