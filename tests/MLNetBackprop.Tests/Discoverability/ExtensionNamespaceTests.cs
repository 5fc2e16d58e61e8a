using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML;

namespace MLNetBackprop.Tests.Discoverability;

public class ExtensionNamespaceTests
{
    /// <summary>
    /// Every public extension method of ours that extends an ML.NET type (MLContext or one of its catalogs) is declared in
    /// namespace Microsoft.ML, so that `using Microsoft.ML;` alone finds it — as for ML.NET's LightGbm and FastTree packages.
    /// A new catalog extension added elsewhere fails here by name.
    /// </summary>
    [Fact]
    public void ExtensionsOnMLNetTypesLiveInNamespaceMicrosoftML()
    {
        var assemblies = new[] { typeof(MlpMulticlassTrainer).Assembly, typeof(BatchNormalizingEstimator).Assembly };
        var extensions = assemblies.SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsClass && t.IsAbstract && t.IsSealed)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.IsDefined(typeof(ExtensionAttribute), false)))
            .Where(m => m.GetParameters()[0].ParameterType.Assembly.GetName().Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(extensions);
        var misplaced = extensions.Where(m => m.DeclaringType!.Namespace != "Microsoft.ML")
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}").Distinct().ToList();
        Assert.True(misplaced.Count == 0, $"Extension methods on ML.NET types outside namespace Microsoft.ML: {string.Join(", ", misplaced)}");
        // The ones the README names are among them.
        var names = extensions.Select(m => m.Name).ToHashSet();
        foreach (var expected in new[] { "Mlp", "BatchNormalize", "RegisterBackprop", "SaveAtomic", "LoadChecked", "PermutationFeatureImportanceOfMlp" })
            Assert.Contains(expected, names);
    }
}
