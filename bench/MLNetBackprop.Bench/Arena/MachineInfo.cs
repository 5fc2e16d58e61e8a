using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Bench.Arena;

/// <summary>The machine a run was measured on: CPU model and SIMD flags (/proc/cpuinfo), cores, .NET, ML.NET, Vector512.</summary>
public static class MachineInfo
{
    private static readonly string[] SimdFlags =
    [
        "sse2", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni",
        "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512ifma", "avx512vbmi", "avx512_vbmi2",
        "avx512_vnni", "avx512_bitalg", "avx512_vpopcntdq", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8",
    ];

    public static IReadOnlyList<string> Describe()
    {
        string model = "?", flags = "?", physical = "?";
        try
        {
            var lines = File.ReadAllLines("/proc/cpuinfo");
            model = Value(lines, "model name") ?? "?";
            physical = Value(lines, "cpu cores") ?? "?";
            var present = (Value(lines, "flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            flags = string.Join(' ', SimdFlags.Where(present.Contains));
        }
        catch (IOException) { }
        string mlnet = typeof(Microsoft.ML.MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
        return
        [
            $"CPU: {model}",
            $"SIMD flags: {flags}",
            $"cores: {Environment.ProcessorCount} logical ({physical} per socket in /proc/cpuinfo 'cpu cores')",
            $".NET: {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.OSDescription}); ML.NET {mlnet}",
            $"Vector512.IsHardwareAccelerated: {Vector512.IsHardwareAccelerated}; Vector256: {Vector256.IsHardwareAccelerated}",
            $"load average at start: {LoadAverage()}",
            EngineBuild(),
        ];
    }

    /// <summary>Which Mlp engine is measured: when the trainers assembly was built, and the repository's state now (another change may be under way in src/).</summary>
    private static string EngineBuild()
    {
        string dll = typeof(MlpOptionsBase).Assembly.Location;
        string built = File.Exists(dll) ? File.GetLastWriteTimeUtc(dll).ToString("yyyy-MM-dd HH:mm:ss 'UTC'") : "?";
        string git = "git: ?";
        if (ArenaOptions.RepoRoot() is string root)
        {
            string head = Git(root, "rev-parse --short HEAD");
            string dirty = Git(root, "status --porcelain -- src");
            int changed = dirty.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            git = $"repository {root} at {head}, src/ {(changed == 0 ? "clean" : $"{changed} uncommitted change(s) — the engine measured may differ from HEAD")} at run time";
        }
        return $"Mlp engine: {Path.GetFileName(dll)} built {built}; {git}";
    }

    private static string Git(string root, string arguments)
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("git", $"-C \"{root}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : "?";
        }
        catch (System.ComponentModel.Win32Exception) { return "?"; }
    }

    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    private static string? Value(string[] lines, string key) =>
        lines.Where(l => l.StartsWith(key, StringComparison.Ordinal) && l.Contains(':'))
             .Select(l => l[(l.IndexOf(':') + 1)..].Trim()).FirstOrDefault();
}
