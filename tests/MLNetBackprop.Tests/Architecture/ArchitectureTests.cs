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
        // `x is Dense`, `as ScaleLayer`, `case BatchNormLayer`, `(ActivationLayer)x` outside Engine/Layers: code that should
        // ask the layer instead (its state: Layer.StateBuffers; its scoring form: Layer.CompileForInference).
        var names = string.Join("|", Family<Layer>().Where(n => n != nameof(Layer)).Select(Regex.Escape));
        var typeTest = new Regex($@"\bis\s+(?:not\s+)?(?:{names})\b|\bas\s+(?:{names})\b|\bcase\s+(?:{names})\b|\((?:{names})\)\s*[\w(]");
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
}
