namespace MLNetBackprop.Samples;

/// <summary>Where the sample writes its PNG files.</summary>
internal static class OutputFolder
{
    /// <summary>The folder given as the first argument, else docs/images/ under the repository root (found by its MLNetBackprop.sln), else the current directory.</summary>
    public static string Resolve(string[] args)
    {
        string folder = args.Length > 0 ? args[0] : FindRepositoryRoot() is { } root ? Path.Combine(root, "docs", "images") : Directory.GetCurrentDirectory();
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
