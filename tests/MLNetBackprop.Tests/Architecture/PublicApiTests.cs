using System.Reflection;
using System.Text;

namespace MLNetBackprop.Tests.Architecture;

/// <summary>
/// The public surface of each shipped assembly, written out one member per line and compared with its baseline
/// (src/Engine/PublicAPI.txt, src/Trainers/PublicAPI.txt, src/Transforms/PublicAPI.txt), so that a change to what users can touch shows up in
/// review as a change to that file. After an intended change, run the tests once with
/// <c>MLNETBACKPROP_UPDATE_PUBLIC_API=1</c> to rewrite the baselines, and commit them with the change.
/// </summary>
public class PublicApiTests
{
    public static IEnumerable<object[]> Assemblies =>
    [
        [typeof(MLNetBackprop.Engine.Network).Assembly.GetName().Name!, "src/Engine/PublicAPI.txt"],
        [typeof(MlpMulticlassTrainer).Assembly.GetName().Name!, "src/Trainers/PublicAPI.txt"],
        [typeof(BatchNormalizingTransformer).Assembly.GetName().Name!, "src/Transforms/PublicAPI.txt"],
    ];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void ThePublicSurfaceIsTheBaseline(string assemblyName, string baselinePath)
    {
        var assembly = new[] { typeof(MLNetBackprop.Engine.Network).Assembly, typeof(MlpMulticlassTrainer).Assembly, typeof(BatchNormalizingTransformer).Assembly }
            .Single(a => a.GetName().Name == assemblyName);
        string[] actual = Surface(assembly);
        string path = Path.Combine(RepositoryRoot.Path, baselinePath);
        if (Environment.GetEnvironmentVariable("MLNETBACKPROP_UPDATE_PUBLIC_API") == "1")
            File.WriteAllText(path, string.Join("\n", actual) + "\n");
        Assert.True(File.Exists(path), $"No public-API baseline at {baselinePath}; run the tests with MLNETBACKPROP_UPDATE_PUBLIC_API=1 to write it.");
        string[] expected = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        var added = actual.Except(expected).ToArray();
        var removed = expected.Except(actual).ToArray();
        Assert.True(added.Length == 0 && removed.Length == 0,
            $"The public surface of {assemblyName} differs from {baselinePath} ({added.Length} added, {removed.Length} removed). " +
            "If intended, rewrite the baseline (MLNETBACKPROP_UPDATE_PUBLIC_API=1) and commit it with the change.\n" +
            string.Join("\n", added.Take(40).Select(l => "+ " + l).Concat(removed.Take(40).Select(l => "- " + l))));
    }

    [Fact]
    public void EveryPublicEngineTypeIsForwardedFromTheTrainersAssembly()
    {
        // Programs compiled against a release in which the engine lived in MLNetBackprop.Trainers keep running.
        var forwarded = typeof(MlpMulticlassTrainer).Assembly.GetForwardedTypes().ToHashSet();
        var missing = typeof(MLNetBackprop.Engine.Network).Assembly.GetExportedTypes()
            .Where(t => !t.IsNested && !forwarded.Contains(t)).Select(t => t.FullName).ToArray();
        Assert.True(missing.Length == 0, "Not forwarded (src/Trainers/Compatibility/EngineTypeForwards.cs): " + string.Join(", ", missing));
    }

    [Fact]
    public void TheKernelsAndTheTrainingPlumbingAreNotPublic()
    {
        // What an extender of the engine never calls directly (issue 9: internal by default).
        var engine = typeof(MLNetBackprop.Engine.Network).Assembly;
        string[] internalTypes =
        [
            "MLNetBackprop.Engine.Kernels", "MLNetBackprop.Engine.BlockShuffle", "MLNetBackprop.Engine.RunIdentity",
            "MLNetBackprop.Engine.StreamedRows", "MLNetBackprop.Engine.GradientClipping", "MLNetBackprop.Engine.ScalarMath",
            "MLNetBackprop.Engine.NetworkSpecCodec",
        ];
        foreach (string name in internalTypes)
        {
            var type = engine.GetType(name);
            Assert.True(type is not null, $"{name} not found (renamed? update this list)");
            Assert.False(type!.IsPublic, $"{name} is public");
        }
    }

    /// <summary>One line per exported type and per member visible outside the assembly, sorted.</summary>
    internal static string[] Surface(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            string t = Name(type);
            lines.Add($"{Kind(type)} {t}" + (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) ? $" : {Name(b)}" : "")
                + string.Concat(Interfaces(type).Select(Name).Order(StringComparer.Ordinal).Select(i => $", {i}")));
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(all))
            {
                string? line = member switch
                {
                    ConstructorInfo c when Visible(c) => $"{t}..ctor({Parameters(c)})",
                    MethodInfo m when Visible(m) && (!m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal)) =>
                        $"{t}.{Modifiers(m)}{m.Name}{Generic(m)}({Parameters(m)}) -> {Name(m.ReturnType)}",
                    PropertyInfo p when p.GetMethod is { } g && Visible(g) || p.SetMethod is { } s && Visible(s) =>
                        $"{t}.{Modifiers((p.GetMethod ?? p.SetMethod)!)}{p.Name}{Indexer(p)} : {Name(p.PropertyType)} {{{Accessors(p)}}}",
                    FieldInfo f when f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly =>
                        type.IsEnum ? (f.IsStatic ? $"{t}.{f.Name} = {Convert.ToInt64(f.GetRawConstantValue())}" : null)
                        : $"{t}.{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{f.Name} : {Name(f.FieldType)}",
                    EventInfo e when e.AddMethod is { } a && Visible(a) => $"{t}.event {e.Name} : {Name(e.EventHandlerType!)}",
                    _ => null,
                };
                if (line is not null) lines.Add(line);
            }
        }
        return [.. lines.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The public interfaces a type declares or inherits from a type of ours — not those a framework base type brings
    /// (Enum, Exception…), which differ between runtimes.
    /// </summary>
    private static IEnumerable<Type> Interfaces(Type type)
    {
        var inherited = type.BaseType is { } b && !b.Assembly.GetName().Name!.StartsWith("MLNetBackprop", StringComparison.Ordinal)
            ? b.GetInterfaces() : [];
        return type.GetInterfaces().Where(i => i.IsVisible && !inherited.Contains(i));
    }

    private static bool Visible(MethodBase m) => m.IsPublic || ((m.IsFamily || m.IsFamilyOrAssembly) && !m.DeclaringType!.IsSealed);

    private static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct" : t.IsAbstract && t.IsSealed ? "static class"
        : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";

    private static string Modifiers(MethodInfo m) =>
        (m.IsStatic ? "static " : "") + (m.IsFamily || m.IsFamilyOrAssembly ? "protected " : "")
        + (m.IsAbstract && !m.DeclaringType!.IsInterface ? "abstract " : m.IsVirtual && !m.IsFinal && m.GetBaseDefinition() == m ? "virtual " : "")
        + (m.IsVirtual && m.GetBaseDefinition() != m ? "override " : "");

    private static string Accessors(PropertyInfo p) =>
        (p.GetMethod is { } g && Visible(g) ? " get;" : "")
        + (p.SetMethod is { } s && Visible(s) ? (s.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") ? " init;" : " set;") : "") + " ";

    private static string Indexer(PropertyInfo p) => p.GetIndexParameters() is { Length: > 0 } ps ? $"[{string.Join(", ", ps.Select(x => Name(x.ParameterType)))}]" : "";

    private static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        (p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : "") + (p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "")
        + Name(p.ParameterType) + " " + p.Name + (p.HasDefaultValue ? $" = {Default(p.DefaultValue)}" : "")));

    private static string Default(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Name(Type type)
    {
        if (type.IsByRef) return Name(type.GetElementType()!);
        if (type.IsArray) return Name(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsPointer) return Name(type.GetElementType()!) + "*";
        if (type.IsGenericParameter) return type.Name;
        if (Nullable.GetUnderlyingType(type) is { } inner) return Name(inner) + "?";
        var sb = new StringBuilder();
        string name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : (type.Namespace is { } ns ? ns + "." : "") + type.Name;
        int tick = name.IndexOf('`');
        sb.Append(tick >= 0 ? name[..tick] : name);
        if (type.IsGenericType)
        {
            var args = type.GetGenericArguments();
            if (type.IsNested && type.DeclaringType!.IsGenericType) args = args[type.DeclaringType.GetGenericArguments().Length..];
            if (args.Length > 0) sb.Append('<').Append(string.Join(", ", args.Select(Name))).Append('>');
        }
        return sb.ToString();
    }
}
