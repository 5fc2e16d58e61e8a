using System.Text.RegularExpressions;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Architecture;

/// <summary>
/// The rules of docs/ARCHITECTURE.md that the compiler cannot check, read from the sources: the engine knows nothing of
/// ML.NET, kernels are leaves, layers know nothing of optimizers, and only a layer tests for layer types. Each
/// failure names the files and how many times they break the rule.
/// </summary>
public class ArchitectureTests
{
    private static string Root() => RepositoryRoot.Path;

    private static string Engine => Path.Combine(Root(), "src", "Engine");

    /// <summary>Each C# file under <paramref name="folder"/> (relative path with '/', code without comments and strings).</summary>
    private static IEnumerable<(string File, string Code)> Sources(string folder) =>
        Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (Path.GetRelativePath(Root(), f).Replace(Path.DirectorySeparatorChar, '/'), StripCommentsAndStrings(File.ReadAllText(f))));

    private static string StripCommentsAndStrings(string code)
    {
        code = Regex.Replace(code, @"/\*.*?\*/", " ", RegexOptions.Singleline);
        code = Regex.Replace(code, @"//[^\n]*", " ");
        code = Regex.Replace(code, @"\$?@?""(?:[^""\\\n]|\\.)*""", "\"\"");
        return code;
    }

    /// <summary>The names of the engine's types derived from <typeparamref name="T"/> (and its own name).</summary>
    private static string[] Family<T>() =>
        [typeof(T).Name, .. typeof(T).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(T))).Select(t => t.Name)];

    private static Dictionary<string, int> Count(IEnumerable<(string File, string Code)> sources, Regex pattern) =>
        sources.Select(s => (s.File, Hits: pattern.Matches(s.Code).Count)).Where(s => s.Hits > 0).ToDictionary(s => s.File, s => s.Hits);

    private static Regex Words(IEnumerable<string> names) => new($@"\b(?:{string.Join("|", names.Select(Regex.Escape))})\b");

    [Fact]
    public void TheEngineKnowsNothingOfMLNet()
    {
        // The compiler enforces it: the engine is its own assembly, built without a reference to ML.NET. This pins that
        // shape — the assembly references nothing of ML.NET and none of ours, and its sources name no Microsoft.ML.
        var engine = typeof(Network).Assembly;
        Assert.Equal("MLNetBackprop.Engine", engine.GetName().Name);
        var references = engine.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.ML", StringComparison.Ordinal) || r.StartsWith("MLNetBackprop", StringComparison.Ordinal));
        string project = File.ReadAllText(Path.Combine(Engine, "MLNetBackprop.Engine.csproj"));
        Assert.DoesNotContain("Microsoft.ML", project);
        Assert.DoesNotContain("ProjectReference", project);
        var found = Count(Sources(Engine), new Regex(@"\bMicrosoft\.ML\b"));
        Assert.True(found.Count == 0, $"Engine files naming Microsoft.ML: {string.Join(", ", found.Keys)}");
    }

    [Fact]
    public void KernelsAreLeaves()
    {
        // Kernels compute on arrays and spans; what to compute over (parameters, layers, networks, losses, optimizers)
        // and the policies (which parameters get L2…) belong to their callers.
        // The activation a scoring tile fuses is the kernels' own FusedActivation, which the layer names for itself.
        string[] forbidden = [.. Family<Layer>(), .. Family<Optimizer>(), .. Family<Loss>(), nameof(Parameter), nameof(Network), nameof(NetworkSpec),
            nameof(NetworkTrainer), nameof(Activation)];
        var found = Count(Sources(Path.Combine(Engine, "Kernels")), Words(forbidden));
        Assert.True(found.Count == 0, $"Kernels naming engine types above them: {string.Join(", ", found.Select(f => $"{f.Key} ({f.Value})"))}");
    }

    [Fact]
    public void LayersKnowNothingOfOptimizersOrTraining()
    {
        string[] forbidden = [.. Family<Optimizer>(), nameof(NetworkTrainer), nameof(TrainingSettings), nameof(OptimizerState)];
        var found = Count(Sources(Path.Combine(Engine, "Layers")), Words(forbidden));
        Assert.True(found.Count == 0, $"Layers naming optimizers or training: {string.Join(", ", found.Select(f => $"{f.Key} ({f.Value})"))}");
    }

    [Fact]
    public void OnlyALayerTestsForLayerTypes()
    {
        // `x is Dense`, `as ScaleLayer`, `case BatchNormLayer`, `(ActivationLayer)x`, `OfType<BatchNormLayer>()`, `Cast<…>`,
        // `typeof(Dense)`, a switch arm `Dense d =>` outside Engine/Layers: code that should
        // ask the layer instead (its state: Layer.StateBuffers; its scoring form: Layer.CompileForInference).
        var names = string.Join("|", Family<Layer>().Where(n => n != nameof(Layer)).Select(Regex.Escape));
        var typeTest = new Regex($@"\bis\s+(?:not\s+)?(?:{names})\b|\bas\s+(?:{names})\b|\bcase\s+(?:{names})\b|\((?:{names})\)\s*[\w(]|\b(?:OfType|Cast)<(?:{names})>|\btypeof\((?:{names})\)|[{{,]\s*(?:{names})(?:\s+\w+)?\s*=>");
        var outside = Sources(Path.Combine(Root(), "src")).Where(s => !s.File.StartsWith("src/Engine/Layers/", StringComparison.Ordinal));
        var found = Count(outside, typeTest);
        Assert.True(found.Count == 0, $"Type tests on layer types outside Engine/Layers (ask the layer instead): {string.Join(", ", found.Select(f => $"{f.Key} ({f.Value})"))}");
    }

    [Fact]
    public void OnlyTheNameTableSwitchesOnActivations()
    {
        // An activation's facts (definition, kernels, init, bound, ONNX form) are members of its layer; a table keyed by
        // `Activation.X =>` or `case Activation.X` anywhere else would be one more file to touch when one is added.
        var table = new Regex(@"\bActivation\.\w+\s*(?:=>|\bor\b)|\bcase\s+Activation\.\w+");
        var outside = Sources(Path.Combine(Root(), "src")).Where(s => s.File != "src/Engine/Layers/ActivationLayers.cs");
        var found = Count(outside, table);
        Assert.True(found.Count == 0, $"Tables keyed by Activation outside the name table (ask the layer instead): {string.Join(", ", found.Select(f => $"{f.Key} ({f.Value})"))}");
    }

    /// <summary>
    /// The engine's types an ML.NET user names in an options object or gets back from a trainer: they stay in the
    /// <c>MLNetBackprop</c> namespace (with the trainers and their options), so <c>using MLNetBackprop;</c> is all a
    /// user writes — a rename there would break every program that uses them.
    /// </summary>
    private static readonly string[] OptionFacingEngineFiles =
    [
        "src/Engine/Activation.cs", "src/Engine/Parametrization.cs", "src/Engine/WeightInit.cs", "src/Engine/Losses/LossKind.cs",
        "src/Engine/Training/EarlyStopping.cs", "src/Engine/Training/EpochReport.cs", "src/Engine/Training/LearningRateSchedule.cs",
        "src/Engine/Training/TrainingDivergedException.cs", "src/Engine/Training/TrainingHistory.cs",
        "src/Engine/Optimizers/Optimizer.cs", "src/Engine/Optimizers/AdaDeltaOptimizer.cs",
        "src/Engine/Optimizers/AdagradOptimizer.cs", "src/Engine/Optimizers/AdamOptimizer.cs", "src/Engine/Optimizers/AdamaxOptimizer.cs",
        "src/Engine/Optimizers/NadamOptimizer.cs", "src/Engine/Optimizers/RmsPropOptimizer.cs", "src/Engine/Optimizers/SgdOptimizer.cs",
    ];

    /// <summary>The namespace a folder's files declare (the first matching prefix wins).</summary>
    private static readonly (string Folder, string Namespace)[] FolderNamespaces =
    [
        ("src/Engine/Internals/", "MLNetBackprop.Internals"),
        ("src/Engine/Onnx/", "MLNetBackprop.Onnx"),
        ("src/Engine/", "MLNetBackprop.Engine"),
        ("src/Transforms/Internals/", "MLNetBackprop.Internals"),
        ("src/Transforms/Onnx/", "MLNetBackprop.Onnx"),
        ("src/Transforms/", "MLNetBackprop"),
        ("src/Trainers/", "MLNetBackprop"),
    ];

    [Fact]
    public void NamespacesFollowFolders()
    {
        // One namespace per file, the folder's: MLNetBackprop.Engine for the engine (its subfolders but Internals and Onnx
        // group files and are not namespaces of their own, so an extender's one `using MLNetBackprop.Engine;` reaches
        // every layer, loss and trainer of the engine), MLNetBackprop.Internals / .Onnx for those folders, MLNetBackprop for the ML.NET-facing
        // code. Two exceptions, both for users: catalog extension methods live in Microsoft.ML (ExtensionNamespaceTests),
        // and the option-facing engine types above stay in MLNetBackprop. Compatibility shims (polyfills, type forwards)
        // are exempt.
        var wrong = new List<string>();
        foreach (var (file, code) in Sources(Path.Combine(Root(), "src")))
        {
            if (Regex.IsMatch(file, @"^src/\w+/Compatibility/")) continue;
            var declared = Regex.Matches(code, @"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct().ToArray();
            string? expected = Array.IndexOf(OptionFacingEngineFiles, file) >= 0 ? "MLNetBackprop"
                : FolderNamespaces.FirstOrDefault(f => file.StartsWith(f.Folder, StringComparison.Ordinal)).Namespace;
            // Microsoft.ML only for files whose top-level types are static classes: the catalog's extension methods.
            bool extensionsOnly = Regex.Matches(code, @"^(?:(?:public|internal|sealed|abstract|static|partial|readonly)\s+)*(?:class|struct|record|interface|enum)\s", RegexOptions.Multiline).Count
                == Regex.Matches(code, @"^(?:public\s+|internal\s+)?static\s+(?:partial\s+)?class\s", RegexOptions.Multiline).Count;
            if (expected is null) wrong.Add($"{file}: no namespace rule for this folder (add one to FolderNamespaces)");
            else if (declared.Length != 1 || (declared[0] != expected && !(declared[0] == "Microsoft.ML" && extensionsOnly)))
                wrong.Add($"{file}: {string.Join(" + ", declared)} (expected {expected})");
        }
        Assert.True(wrong.Count == 0, "Files whose namespace does not follow their folder:\n" + string.Join("\n", wrong));
        foreach (string file in OptionFacingEngineFiles) Assert.True(File.Exists(Path.Combine(Root(), file)), $"{file} is listed but gone: update the list");
    }

    [Fact]
    public void EverySolutionHoldsEveryProjectItsProjectsReference()
    {
        // A project referenced from a solution's project but missing from the solution is built in Debug by
        // `dotnet build X.sln -c Release` (MSBuild unsets the configuration for it): a silently slow engine in the bench.
        var missing = new List<string>();
        foreach (string sln in Directory.EnumerateFiles(Root(), "*.sln", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            string dir = Path.GetDirectoryName(sln)!;
            var listed = Regex.Matches(File.ReadAllText(sln), @"""([^""]+\.csproj)""")
                .Select(m => Path.GetFullPath(Path.Combine(dir, m.Groups[1].Value.Replace('\\', Path.DirectorySeparatorChar)))).ToHashSet();
            foreach (string project in listed.ToArray())
                foreach (Match m in Regex.Matches(File.ReadAllText(project), @"<ProjectReference\s+Include=""([^""]+)"""))
                {
                    string referenced = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, m.Groups[1].Value.Replace('\\', Path.DirectorySeparatorChar)));
                    if (!listed.Contains(referenced))
                        missing.Add($"{Path.GetRelativePath(Root(), sln)} lacks {Path.GetRelativePath(Root(), referenced)} (referenced by {Path.GetFileName(project)})");
                }
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing.Distinct()));
    }
}
