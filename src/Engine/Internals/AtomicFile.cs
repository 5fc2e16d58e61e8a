using System.Text.RegularExpressions;

namespace MLNetBackprop.Internals;

/// <summary>
/// Replaces a file so that readers see either the complete old file or the complete new one, and so that a writer
/// killed mid-way costs nothing lasting:
/// <list type="bullet">
/// <item>the new contents are written into a private staging folder beside the target (<c>.{name}.{guid}.tmp/</c>,
/// mode 0700 on Unix), flushed to the disk and renamed over the target — an atomic rename on one volume;</item>
/// <item>the staging folder also holds any scratch files of the writer (ML.NET stages a model's entries on disk), and is
/// removed when the write ends, whether it succeeds or fails;</item>
/// <item>a staging folder left by a writer that was killed is removed by the next write to the same target. A live
/// writer holds an exclusive lock on <c>.lock</c> in its staging folder for as long as it runs, so only the folders of
/// dead writers are taken;</item>
/// <item>an existing target keeps its Unix permission bits (a private 0600 model stays private), and a target that is
/// a symbolic link is written through: the file it points to is replaced and the link stays a link.</item>
/// </list>
/// </summary>
internal static partial class AtomicFile
{
    private const string LockName = ".lock";

    /// <summary>A staging folder without a lock file (its writer died before taking it) is left alone this long.</summary>
    private static readonly TimeSpan UnlockedGrace = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Writes <paramref name="path"/> atomically: <paramref name="write"/> receives the stream of the new file and a
    /// private scratch folder it may use (removed afterwards).
    /// </summary>
    /// <exception cref="IOException">The write failed; the previous file, if any, is untouched.</exception>
    public static void Write(string path, Action<Stream, string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string target = FinalTarget(Path.GetFullPath(path));
        string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        string name = Path.GetFileName(target);
        RemoveLeftovers(folder, name);

        string staging = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
        CreatePrivateFolder(staging);
        try
        {
            using var writerLock = new FileStream(Path.Combine(staging, LockName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            string file = Path.Combine(staging, name);
            using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(stream, staging);
                stream.Flush(flushToDisk: true);
            }
            KeepPermissions(target, file);
            File.Move(file, target, overwrite: true);
        }
        finally
        {
            TryDeleteFolder(staging);
        }
    }

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, ReadOnlySpan<byte> contents)
    {
        var copy = contents.ToArray();
        Write(path, (stream, _) => stream.Write(copy));
    }

    /// <summary>The file a path finally names: a symbolic link is followed to its (possibly not yet existing) target.</summary>
    internal static string FinalTarget(string full)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is null) return full;
        var resolved = info.ResolveLinkTarget(returnFinalTarget: true);
        return resolved is null ? full : Path.GetFullPath(resolved.FullName);
    }

    /// <summary>
    /// Removes what killed writers left beside <paramref name="name"/>: staging folders whose lock nobody holds, and the
    /// single temporary files earlier releases wrote (<c>.{name}.{guid}.tmp</c> for models, <c>{name}.{guid}.tmp</c> for
    /// checkpoints) when no live writer holds them open.
    /// </summary>
    internal static void RemoveLeftovers(string folder, string name)
    {
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFileSystemEntries(folder, "*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (string entry in candidates)
        {
            string entryName = Path.GetFileName(entry);
            if (!IsLeftoverName(entryName, name)) continue;
            if (Directory.Exists(entry)) RemoveDeadStaging(entry);
            else RemoveUnheldFile(entry);
        }
    }

    private static bool IsLeftoverName(string entryName, string name)
    {
        string rest;
        if (entryName.StartsWith('.') && entryName.AsSpan(1).StartsWith(name + ".")) rest = entryName[(name.Length + 2)..];
        else if (entryName.StartsWith(name + ".")) rest = entryName[(name.Length + 1)..];
        else return false;
        return GuidTmp().IsMatch(rest);
    }

    [GeneratedRegex("^[0-9a-f]{32}\\.tmp$")]
    private static partial Regex GuidTmp();

    private static void RemoveDeadStaging(string staging)
    {
        string lockPath = Path.Combine(staging, LockName);
        try
        {
            if (!File.Exists(lockPath))
            {
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(staging) > UnlockedGrace) TryDeleteFolder(staging);
                return;
            }
            // Opening with FileShare.None fails while the writer that created the lock is alive and holds it.
            using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
            }
            TryDeleteFolder(staging);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Held by a live writer, or not ours to delete.
        }
    }

    private static void RemoveUnheldFile(string file)
    {
        try
        {
            using (new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void CreatePrivateFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The new file takes the existing target's permission bits (the owner is the writing user, as for any new file).</summary>
    private static void KeepPermissions(string target, string file)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(target)) return;
        File.SetUnixFileMode(file, File.GetUnixFileMode(target));
    }

    private static void TryDeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
