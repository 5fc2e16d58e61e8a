namespace MLNetBackprop.Samples;

/// <summary>Where a plotting sample writes its PNG files.</summary>
internal static class OutputFolder
{
    /// <summary>
    /// <c>--out &lt;folder&gt;</c> (or a bare folder as the first argument), else <c>out/&lt;sample&gt;/</c> under the
    /// repository root (found by its MLNetBackprop.sln; <c>out/</c> is git-ignored), else under the current directory.
    /// The pictures the README shows live in docs/images/ and are only rewritten on request: <c>--out docs/images</c>.
    /// </summary>
    /// <param name="args">The sample's command-line arguments.</param>
    /// <param name="sample">The sample's folder name under out/, e.g. "vanishing-gradients".</param>
    public static string Resolve(string[] args, string sample)
    {
        string? folder = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--out")
            {
                if (i + 1 >= args.Length) throw new ArgumentException("--out needs a folder, e.g. --out docs/images.");
                folder = args[++i];
            }
            else if (args[i].StartsWith('-')) throw new ArgumentException($"Unknown option '{args[i]}'; the only option is --out <folder>.");
            else folder ??= args[i];
        }
        folder ??= Path.Combine(FindRepositoryRoot() ?? Directory.GetCurrentDirectory(), "out", sample);
        Directory.CreateDirectory(folder);
        return Path.GetFullPath(folder);
    }

    private static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "MLNetBackprop.sln"))) return dir.FullName;
        return null;
    }
}
