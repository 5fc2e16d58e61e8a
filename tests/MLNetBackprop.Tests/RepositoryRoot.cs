namespace MLNetBackprop.Tests;

/// <summary>The repository the tests run from (the folder holding MLNetBackprop.sln above the test binaries), for tests that read its files.</summary>
internal static class RepositoryRoot
{
    /// <summary>The repository's root folder.</summary>
    /// <exception cref="InvalidOperationException">No MLNetBackprop.sln above the test binaries.</exception>
    public static string Path
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "MLNetBackprop.sln"))) return dir.FullName;
            throw new InvalidOperationException("MLNetBackprop.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
