using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetBackprop.Internals;

/// <summary>
/// Identity of a saved model component, in the terms ML.NET's model header uses.
/// </summary>
/// <param name="ModelSignature">Exactly 8 characters, each ≤ U+00FF (ML.NET packs them into a ulong; a space is stored as 0).</param>
/// <param name="VersionWritten">Version this code writes (e.g. 0x00010001).</param>
/// <param name="VersionReadable">Oldest code version able to read what this code writes (≤ <paramref name="VersionWritten"/>).</param>
/// <param name="VersionWeCanRead">Oldest written version this code can still read.</param>
/// <param name="LoaderSignature">Name the loader is registered under in the <see cref="ComponentCatalog"/>
/// (1..24 characters ≤ U+00FF, unique across ML.NET; compared case-insensitively).</param>
internal sealed record ModelIdentity(string ModelSignature, uint VersionWritten, uint VersionReadable, uint VersionWeCanRead, string LoaderSignature)
{
    /// <summary>Throws <see cref="ArgumentException"/> when a field breaks ML.NET's header rules.</summary>
    public void Validate()
    {
        if (ModelSignature is null || ModelSignature.Length != 8 || ModelSignature.Any(c => c > 0xFF))
            throw new ArgumentException($"ModelSignature '{ModelSignature}' must be exactly 8 characters, each <= U+00FF.");
        if (string.IsNullOrWhiteSpace(LoaderSignature) || LoaderSignature.Length > 24 || LoaderSignature.Any(c => c > 0xFF))
            throw new ArgumentException($"LoaderSignature '{LoaderSignature}' must be 1..24 characters, each <= U+00FF.");
        if (VersionReadable > VersionWritten || VersionWeCanRead > VersionWritten)
            throw new ArgumentException($"Versions of '{LoaderSignature}' are inconsistent: readable {VersionReadable:X8} and we-can-read {VersionWeCanRead:X8} must be <= written {VersionWritten:X8}.");
    }
}

/// <summary>
/// The one place in MLNetBackprop that touches ML.NET internals (by reflection). Everything it uses is
/// internal in Microsoft.ML 5.0.1 and is looked up once, lazily; a missing member makes every call
/// throw <see cref="NotSupportedException"/> naming it. <see cref="SelfTest"/> touches every member.
/// </summary>
/// <remarks>
/// Save: <see cref="SaveModel"/> sets the component's <c>VersionInfo</c> on the <see cref="ModelSaveContext"/>
/// and hands its <c>Writer</c> to the caller. Load: <see cref="RegisterLoader"/> adds a
/// <c>ComponentCatalog.LoadableClassInfo</c> (signature <c>SignatureLoadModel</c>) whose create method is the
/// caller's static <c>Create(IHostEnvironment env, object modelLoadContext)</c>; that method calls
/// <see cref="GetReader"/> (version check) and must read exactly the bytes it wrote (ML.NET checks it).
/// Exceptions thrown by the create method reach the caller of <c>mlContext.Model.Load</c> wrapped in a
/// <see cref="TargetInvocationException"/> (ML.NET invokes it by reflection).
/// </remarks>
internal static class MLNetBridge
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private sealed class Members
    {
        public required ConstructorInfo VersionInfoCtor;            // Microsoft.ML.VersionInfo(string, uint, uint, uint, string, string, string)
        public required MethodInfo SaveSetVersionInfo;              // ModelSaveContext.SetVersionInfo(VersionInfo)
        public required FieldInfo SaveWriter;                       // ModelSaveContext.Writer
        public required Type LoadContextType;                       // Microsoft.ML.ModelLoadContext
        public required FieldInfo LoadReader;                       // ModelLoadContext.Reader
        public required MethodInfo LoadCheckAtModel;                // ModelLoadContext.CheckAtModel(VersionInfo)
        public required Type SignatureLoadModel;                    // Microsoft.ML.SignatureLoadModel
        public required ConstructorInfo LoadableClassAttributeCtor; // LoadableClassAttribute(Type, Type, Type, Type, string, string[])
        public required ConstructorInfo LoadableClassInfoCtor;      // ComponentCatalog.LoadableClassInfo(attr, MethodInfo, ConstructorInfo, MethodInfo, bool)
        public required MethodInfo CatalogAddClass;                 // ComponentCatalog.AddClass(LoadableClassInfo, string[], bool)
        public required FieldInfo CatalogLock;                      // ComponentCatalog._lock
        public required PropertyInfo InternalCatalogEnvironment;    // Microsoft.ML.Data.IInternalCatalog.Environment
        public required ConstructorInfo SchemaShapeColumnCtor;      // SchemaShape.Column(string, VectorKind, DataViewType, bool, SchemaShape)
        public required MethodInfo SchemaShapeCreate;               // SchemaShape.Create(DataViewSchema)
        public required PropertyInfo CancelableIsCanceled;          // Microsoft.ML.Runtime.ICancelable.IsCanceled (set by MLContext.CancelExecution)
    }

    private static readonly Lazy<Members> s_members = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConditionalWeakTable<ComponentCatalog, HashSet<string>> s_registered = new();

    private static Members M => s_members.Value;

    private static string MlNetVersion =>
        typeof(ModelSaveContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ModelSaveContext).Assembly.GetName().Version?.ToString() ?? "(unknown)";

    private static NotSupportedException Missing(string member, string owner) =>
        new($"MLNetBackprop supports Microsoft.ML 5.0.1; member {member} of {owner} was not found in the loaded ML.NET {MlNetVersion}.");

    private static Type FindType(Assembly asm, string fullName) =>
        asm.GetType(fullName, throwOnError: false) ?? throw Missing("(the type itself)", fullName);

    private static ConstructorInfo FindCtor(Type t, params Type[] args) =>
        t.GetConstructor(Instance, null, args, null)
        ?? throw Missing($".ctor({string.Join(", ", args.Select(a => a.Name))})", t.FullName!);

    private static MethodInfo FindMethod(Type t, string name, BindingFlags flags, params Type[] args) =>
        t.GetMethod(name, flags, null, args, null)
        ?? throw Missing($"{name}({string.Join(", ", args.Select(a => a.Name))})", t.FullName!);

    private static FieldInfo FindField(Type t, string name, Type fieldType)
    {
        var f = t.GetField(name, Instance);
        if (f is null || f.FieldType != fieldType)
            throw Missing($"field {name} ({fieldType.Name})", t.FullName!);
        return f;
    }

    private static Members Resolve()
    {
        Assembly core = typeof(ModelSaveContext).Assembly;     // Microsoft.ML.Core
        Assembly data = typeof(TransformsCatalog).Assembly;    // Microsoft.ML.Data

        Type versionInfo = FindType(core, "Microsoft.ML.VersionInfo");
        Type loadCtx = FindType(core, "Microsoft.ML.ModelLoadContext");
        Type sigLoad = FindType(core, "Microsoft.ML.SignatureLoadModel");
        Type attrType = FindType(core, "Microsoft.ML.LoadableClassAttribute");
        Type attrBase = FindType(core, "Microsoft.ML.LoadableClassAttributeBase");
        Type infoType = typeof(ComponentCatalog).GetNestedType("LoadableClassInfo", BindingFlags.NonPublic | BindingFlags.Public)
                        ?? throw Missing("nested type LoadableClassInfo", typeof(ComponentCatalog).FullName!);
        Type internalCatalog = FindType(data, "Microsoft.ML.Data.IInternalCatalog");

        var lockField = typeof(ComponentCatalog).GetField("_lock", Instance) ?? throw Missing("field _lock", typeof(ComponentCatalog).FullName!);

        return new Members
        {
            VersionInfoCtor = FindCtor(versionInfo, typeof(string), typeof(uint), typeof(uint), typeof(uint), typeof(string), typeof(string), typeof(string)),
            SaveSetVersionInfo = FindMethod(typeof(ModelSaveContext), "SetVersionInfo", Instance, versionInfo),
            SaveWriter = FindField(typeof(ModelSaveContext), "Writer", typeof(BinaryWriter)),
            LoadContextType = loadCtx,
            LoadReader = FindField(loadCtx, "Reader", typeof(BinaryReader)),
            LoadCheckAtModel = FindMethod(loadCtx, "CheckAtModel", Instance, versionInfo),
            SignatureLoadModel = sigLoad,
            LoadableClassAttributeCtor = FindCtor(attrType, typeof(Type), typeof(Type), typeof(Type), typeof(Type), typeof(string), typeof(string[])),
            LoadableClassInfoCtor = FindCtor(infoType, attrBase, typeof(MethodInfo), typeof(ConstructorInfo), typeof(MethodInfo), typeof(bool)),
            CatalogAddClass = FindMethod(typeof(ComponentCatalog), "AddClass", Instance, infoType, typeof(string[]), typeof(bool)),
            CatalogLock = lockField,
            InternalCatalogEnvironment = internalCatalog.GetProperty("Environment", Instance)
                                         ?? throw Missing("property Environment", internalCatalog.FullName!),
            SchemaShapeColumnCtor = FindCtor(typeof(SchemaShape.Column), typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)),
            SchemaShapeCreate = FindMethod(typeof(SchemaShape), "Create", Static, typeof(DataViewSchema)),
            CancelableIsCanceled = FindType(core, "Microsoft.ML.Runtime.ICancelable").GetProperty("IsCanceled", Instance)
                                   ?? throw Missing("property IsCanceled", "Microsoft.ML.Runtime.ICancelable"),
        };
    }

    /// <summary>Invokes by reflection and rethrows the real exception instead of a <see cref="TargetInvocationException"/>.</summary>
    private static object? Invoke(MethodBase m, object? target, params object?[] args)
    {
        try
        {
            return m is ConstructorInfo c ? c.Invoke(args) : m.Invoke(target, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw; // unreachable
        }
    }

    private static object CreateVersionInfo(ModelIdentity id, Type loaderType)
    {
        id.Validate();
        return Invoke(M.VersionInfoCtor, null, id.ModelSignature, id.VersionWritten, id.VersionReadable, id.VersionWeCanRead,
            loaderType.Assembly.FullName, id.LoaderSignature, null)!;
    }

    /// <summary>
    /// Saves a component: records <paramref name="id"/> (and the assembly of <paramref name="loaderType"/> as the
    /// loader assembly) in the model header, then calls <paramref name="writePayload"/> with the context's writer.
    /// Call from <see cref="ICanSaveModel.Save"/>. The writer belongs to ML.NET: do not dispose it.
    /// </summary>
    public static void SaveModel(ModelSaveContext ctx, ModelIdentity id, Type loaderType, Action<BinaryWriter> writePayload)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(loaderType);
        ArgumentNullException.ThrowIfNull(writePayload);
        object ver = CreateVersionInfo(id, loaderType);
        Invoke(M.SaveSetVersionInfo, ctx, ver);
        var writer = (BinaryWriter)M.SaveWriter.GetValue(ctx)!;
        writePayload(writer);
    }

    /// <summary>
    /// Registers a loader for components saved with <paramref name="id"/> in the component catalog of
    /// <paramref name="env"/> (an <see cref="MLContext"/> or any host). Idempotent per catalog and thread-safe.
    /// </summary>
    /// <param name="env">Environment whose <see cref="IHostEnvironment.ComponentCatalog"/> gets the loader.</param>
    /// <param name="id">Identity written by <see cref="SaveModel"/>.</param>
    /// <param name="instanceType">Type the loader returns (must implement what is being loaded, e.g. <see cref="ITransformer"/>).</param>
    /// <param name="staticCreate">Static method <c>(IHostEnvironment env, object modelLoadContext) → instanceType</c>;
    /// it receives ML.NET's <c>ModelLoadContext</c> as <see cref="object"/> and should call <see cref="GetReader"/>.</param>
    public static void RegisterLoader(IHostEnvironment env, ModelIdentity id, Type instanceType, MethodInfo staticCreate)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(instanceType);
        ArgumentNullException.ThrowIfNull(staticCreate);
        id.Validate();
        var ps = staticCreate.GetParameters();
        if (!staticCreate.IsStatic || ps.Length != 2 || ps[0].ParameterType != typeof(IHostEnvironment) || ps[1].ParameterType != typeof(object)
            || !instanceType.IsAssignableFrom(staticCreate.ReturnType))
            throw new ArgumentException($"{staticCreate.DeclaringType?.Name}.{staticCreate.Name} must be static ({nameof(IHostEnvironment)} env, object ctx) -> {instanceType.Name}.", nameof(staticCreate));

        var m = M;
        ComponentCatalog catalog = env.ComponentCatalog;
        object catalogLock = m.CatalogLock.GetValue(catalog) ?? throw Missing("field _lock (null)", nameof(ComponentCatalog));
        string key = id.LoaderSignature.ToLowerInvariant();
        lock (catalogLock)
        {
            var names = s_registered.GetOrCreateValue(catalog);
            if (names.Contains(key))
                return;
            object attr = Invoke(m.LoadableClassAttributeCtor, null,
                instanceType, staticCreate.DeclaringType!, null, m.SignatureLoadModel, id.LoaderSignature, new[] { id.LoaderSignature })!;
            object info = Invoke(m.LoadableClassInfoCtor, null, attr, null, null, staticCreate, true)!;
            // throwOnError: false — if ML.NET already maps the name (e.g. another copy registered it), keep the first.
            Invoke(m.CatalogAddClass, catalog, info, new[] { id.LoaderSignature }, false);
            names.Add(key);
        }
    }

    /// <summary>
    /// From ML.NET's <c>ModelLoadContext</c> (passed to a loader as <see cref="object"/>): checks that the stream
    /// is at the model and that its header matches <paramref name="id"/> (signature and versions; a mismatch throws
    /// ML.NET's <see cref="FormatException"/>), and returns the context's reader, positioned at the payload.
    /// </summary>
    public static BinaryReader GetReader(object modelLoadContext, ModelIdentity id)
    {
        ArgumentNullException.ThrowIfNull(modelLoadContext);
        ArgumentNullException.ThrowIfNull(id);
        var m = M;
        if (!m.LoadContextType.IsInstanceOfType(modelLoadContext))
            throw new ArgumentException($"Expected ML.NET's ModelLoadContext, got {modelLoadContext.GetType().FullName}.", nameof(modelLoadContext));
        id.Validate();
        object ver = Invoke(m.VersionInfoCtor, null, id.ModelSignature, id.VersionWritten, id.VersionReadable, id.VersionWeCanRead,
            null, id.LoaderSignature, null)!;
        Invoke(m.LoadCheckAtModel, modelLoadContext, ver);
        return (BinaryReader)m.LoadReader.GetValue(modelLoadContext)!;
    }

    /// <summary>
    /// The environment behind an ML.NET catalog (<c>mlContext.Transforms</c>, <c>mlContext.MulticlassClassification.Trainers</c>,
    /// <c>mlContext.Model</c>, …), an <see cref="MLContext"/>, or an <see cref="IHostEnvironment"/>.
    /// </summary>
    /// <remarks>
    /// For a catalog this is the MLContext's inner environment (ML.NET's <c>LocalEnvironment</c>), not the
    /// <see cref="MLContext"/> object itself; it shares the MLContext's component catalog, seed, random source and log,
    /// so registering loaders or creating hosts on it is the same as doing so on the MLContext.
    /// </remarks>
    public static IHostEnvironment GetEnvironment(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog is IHostEnvironment env)
            return env;
        var m = M;
        if (!m.InternalCatalogEnvironment.DeclaringType!.IsInstanceOfType(catalog))
            throw new ArgumentException($"{catalog.GetType().FullName} is not an ML.NET catalog (it does not implement IInternalCatalog).", nameof(catalog));
        return (IHostEnvironment)(m.InternalCatalogEnvironment.GetValue(catalog)
            ?? throw new InvalidOperationException($"{catalog.GetType().Name} has no environment."));
    }

    /// <summary>
    /// True when <c>MLContext.CancelExecution()</c> was called on <paramref name="env"/> (ML.NET's <c>ICancelable</c>
    /// is internal); false for environments that cannot be canceled.
    /// </summary>
    public static bool IsCanceled(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var p = M.CancelableIsCanceled;
        return p.DeclaringType!.IsInstanceOfType(env) && (bool)p.GetValue(env)!;
    }

    /// <summary>Creates a <see cref="SchemaShape.Column"/> (its constructor is internal).</summary>
    public static SchemaShape.Column CreateColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(itemType);
        return (SchemaShape.Column)Invoke(M.SchemaShapeColumnCtor, null, name, kind, itemType, isKey, annotations)!;
    }

    /// <summary>
    /// Returns <paramref name="input"/> with <paramref name="columns"/> added; an added column replaces (hides) an input
    /// column of the same name, as ML.NET estimators do. Order: input columns (minus replaced ones), then added ones.
    /// </summary>
    public static SchemaShape AppendColumns(SchemaShape input, IEnumerable<SchemaShape.Column> columns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(columns);
        var added = columns.ToList();
        var names = new HashSet<string>(added.Select(c => c.Name), StringComparer.Ordinal);
        var result = input.Where(c => !names.Contains(c.Name)).ToList();
        // Among added columns with the same name the last wins.
        for (int i = 0; i < added.Count; i++)
        {
            string name = added[i].Name;
            if (added.FindLastIndex(c => c.Name == name) == i)
                result.Add(added[i]);
        }
        return new SchemaShape(result);
    }

    /// <summary>Converts a <see cref="DataViewSchema"/> to a <see cref="SchemaShape"/> (ML.NET's internal <c>SchemaShape.Create</c>).</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return (SchemaShape)Invoke(M.SchemaShapeCreate, null, schema)!;
    }

    /// <summary>Finds a column by name in a <see cref="SchemaShape"/> (ML.NET's <c>TryFindColumn</c> is internal).</summary>
    public static bool TryFindColumn(SchemaShape shape, string name, out SchemaShape.Column column)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var c in shape)
        {
            if (c.Name == name)
            {
                column = c;
                return true;
            }
        }
        column = default;
        return false;
    }

    private static readonly ConcurrentDictionary<Assembly, FrozenSet<string>> s_loadNames = new();

    /// <summary>
    /// The names under which <paramref name="assembly"/> declares loadable components — the <c>loadNames</c> of its
    /// <c>[assembly: LoadableClass(…)]</c> attributes, the last constructor argument of every overload — lower-cased, as
    /// ML.NET's component catalog keys them. A model entry's loader signature is looked up among these. Read from the
    /// attributes' metadata (<see cref="CustomAttributeData"/>): no attribute or component is instantiated.
    /// </summary>
    public static FrozenSet<string> DeclaredLoadNames(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return s_loadNames.GetOrAdd(assembly, static a =>
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var attribute in a.GetCustomAttributesData())
            {
                if (attribute.AttributeType.FullName != "Microsoft.ML.LoadableClassAttribute") continue;
                var args = attribute.ConstructorArguments;
                if (args.Count == 0 || args[^1].Value is not IReadOnlyCollection<CustomAttributeTypedArgument> loadNames)
                    throw new NotSupportedException($"MLNetBackprop: a LoadableClassAttribute in {a.GetName().Name} no longer ends with string[] loadNames.");
                foreach (var name in loadNames)
                    if (name.Value is string n) names.Add(n.ToLowerInvariant());
            }
            return names.ToFrozenSet(StringComparer.Ordinal);
        });
    }

    /// <summary>
    /// Resolves every reflected member and exercises each one (version info, save header, catalog registration,
    /// load-context type, catalog environment, schema shape). Throws <see cref="NotSupportedException"/> naming the
    /// first missing member, or the underlying exception when a member changed behaviour.
    /// </summary>
    public static void SelfTest()
    {
        var m = M; // resolves every member or throws
        var id = s_selfTestId;
        _ = CreateVersionInfo(id, typeof(MLNetBridge));

        var ml = new MLContext(seed: 1);
        IHostEnvironment mlEnv = ml;
        if (!ReferenceEquals(GetEnvironment(ml.Transforms).ComponentCatalog, mlEnv.ComponentCatalog)
            || !ReferenceEquals(GetEnvironment(ml.MulticlassClassification.Trainers).ComponentCatalog, mlEnv.ComponentCatalog))
            throw new NotSupportedException("MLNetBackprop: IInternalCatalog.Environment did not return the environment of the MLContext that owns the catalog.");

        var create = typeof(MLNetBridge).GetMethod(nameof(SelfTestCreate), Static)!;
        RegisterLoader(ml, id, typeof(SelfTestTransformer), create);
        RegisterLoader(ml, id, typeof(SelfTestTransformer), create); // idempotent
        if (!m.LoadContextType.IsClass || m.LoadReader.DeclaringType != m.LoadContextType || m.LoadCheckAtModel.DeclaringType != m.LoadContextType)
            throw Missing("Reader/CheckAtModel", m.LoadContextType.FullName!);

        if (IsCanceled(ml))
            throw new NotSupportedException("MLNetBackprop: ICancelable.IsCanceled is true on a fresh MLContext.");
        var canceled = new MLContext(seed: 1);
        // MLContext implements ICancelable explicitly (AutoML cancels experiments through it).
        var cancel = m.CancelableIsCanceled.DeclaringType!.GetMethod("CancelExecution", Instance)
                     ?? throw Missing("CancelExecution()", m.CancelableIsCanceled.DeclaringType.FullName!);
        Invoke(cancel, GetEnvironment(canceled.Transforms));
        if (!IsCanceled(GetEnvironment(canceled.Transforms)))
            throw new NotSupportedException("MLNetBackprop: MLContext.CancelExecution() is not visible through ICancelable.IsCanceled.");

        // The loader signature of ML.NET's TransformerChain must be among Microsoft.ML.Data's declared load names.
        if (!DeclaredLoadNames(typeof(TransformerChain<ITransformer>).Assembly).Contains("transformerchain"))
            throw new NotSupportedException("MLNetBackprop: Microsoft.ML.Data's LoadableClass attributes no longer declare 'TransformerChain'.");

        var col = CreateColumn("x", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        var shape = AppendColumns(new SchemaShape(Array.Empty<SchemaShape.Column>()), [col]);
        if (shape.Count != 1 || shape[0].Name != "x" || shape[0].Kind != SchemaShape.Column.VectorKind.Vector)
            throw new NotSupportedException("MLNetBackprop: SchemaShape.Column constructor did not produce the expected column.");
        var b = new DataViewSchema.Builder();
        b.AddColumn("y", NumberDataViewType.Single);
        if (ShapeOf(b.ToSchema()).Count != 1)
            throw new NotSupportedException("MLNetBackprop: SchemaShape.Create did not produce the expected shape.");

        // SetVersionInfo + Writer are exercised through a real save of a tiny chain (uses ModelSaveContext end to end).
        var probe = new SelfTestTransformer();
        using var ms = new MemoryStream();
        ml.Model.Save(probe, null, ms);
        ms.Position = 0;
        var loaded = ml.Model.Load(ms, out _);
        bool ok = loaded is SelfTestTransformer
                  || (loaded is IEnumerable<ITransformer> chain && chain.Count() == 1 && chain.First() is SelfTestTransformer);
        if (!ok)
            throw new NotSupportedException("MLNetBackprop: save/load round trip through ML.NET's model context did not return our component.");
    }

    private static readonly ModelIdentity s_selfTestId = new("SELFTEST", 0x00010001, 0x00010001, 0x00010001, "MLNetBackpropSelfTest");

    private static SelfTestTransformer SelfTestCreate(IHostEnvironment env, object ctx)
    {
        var r = GetReader(ctx, s_selfTestId);
        if (r.ReadInt32() != 0x5E1F7E57)
            throw new InvalidDataException("MLNetBackprop self-test payload mismatch.");
        return new SelfTestTransformer();
    }

    private sealed class SelfTestTransformer : ITransformer, ICanSaveModel
    {
        public bool IsRowToRowMapper => false;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
        public IDataView Transform(IDataView input) => input;
        public void Save(ModelSaveContext ctx) => SaveModel(ctx, s_selfTestId, typeof(MLNetBridge), w => w.Write(0x5E1F7E57));
    }
}
