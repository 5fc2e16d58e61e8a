using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>An MLContext that built any of our estimators can load every MLNetBackprop transformer.</summary>
public class RegistrationTests
{
    private static byte[] SavedMlpModel()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Bool(ml, x, y, Enumerable.Range(0, y.Length));
        var model = ml.BinaryClassification.Trainers.Mlp(new MlpBinaryTrainer.Options { HiddenLayers = [4], Epochs = 2 }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.ToArray();
    }

    [Fact]
    public void AContextThatOnlyBuiltBatchNormalizeLoadsAnMlpModel()
    {
        var zip = SavedMlpModel();
        var consumer = new MLContext(2);
        _ = consumer.Transforms.BatchNormalize("Normalized", "Features"); // only our Transforms estimator
        var loaded = consumer.Model.Load(new MemoryStream(zip), out _);
        Assert.IsType<MlpBinaryPredictionTransformer>(loaded);
    }

    /// <summary>A model with a transformer from each of our assemblies: BatchNormalize (Transforms) and an MLP (Trainers).</summary>
    private static byte[] SavedChainOfBothAssemblies()
    {
        var ml = new MLContext(1);
        var (x, y) = Datasets.Load("iris.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        var model = ml.Transforms.BatchNormalize("Normalized", "Features")
            .Append(ml.Regression.Trainers.Mlp(featureColumnName: "Normalized", hiddenLayers: [4], epochs: 2)).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Without RegisterBackprop ML.NET's load fails with its own bare message — no code of ours runs during that load to
    /// say more (see LoadingNeedsRegistrationBecauseMLNetOffersNoHook) — and the same context then loads the file once
    /// registered: the failed attempt leaves nothing behind (ML.NET caches our assembly as registered, which does not
    /// matter since our loaders are added directly).
    /// </summary>
    [Fact]
    public void WithoutRegistrationLoadFailsWithMLNetsMessage_ThenRegisterBackpropOnTheSameContextLoads()
    {
        var zip = SavedChainOfBothAssemblies();
        var consumer = new MLContext(2);
        var e = Assert.ThrowsAny<Exception>(() => consumer.Model.Load(new MemoryStream(zip), out _));
        Exception? format = e;
        while (format is not null and not FormatException) format = format.InnerException;
        Assert.True(format is not null, e.ToString());
        Assert.Contains("Couldn't load model: 'TransformerChain/Transform_000'", format.Message);

        consumer.RegisterBackprop();
        var loaded = consumer.Model.Load(new MemoryStream(zip), out _);
        Assert.Equal(2, ((IEnumerable<ITransformer>)loaded).Count());
    }

    /// <summary>
    /// ML.NET's own registration, ComponentCatalog.RegisterAssembly, does not register our loaders (it reads internal
    /// attributes only ML.NET's assemblies can carry): documented in the README as not a substitute for RegisterBackprop.
    /// </summary>
    [Fact]
    public void ComponentCatalogRegisterAssemblyDoesNotReplaceRegisterBackprop()
    {
        var zip = SavedChainOfBothAssemblies();
        var consumer = new MLContext(3);
        consumer.ComponentCatalog.RegisterAssembly(typeof(MlpRegressionPredictionTransformer).Assembly);
        consumer.ComponentCatalog.RegisterAssembly(typeof(BatchNormalizingTransformer).Assembly);
        Assert.ThrowsAny<Exception>(() => consumer.Model.Load(new MemoryStream(zip), out _));
        consumer.RegisterBackprop();
        Assert.IsType<TransformerChain<ITransformer>>(consumer.Model.Load(new MemoryStream(zip), out _));
    }

    /// <summary>
    /// Why a fresh MLContext cannot load our transformers by itself, pinned so that a future ML.NET that opens a door
    /// fails here: when ML.NET loads a component it calls ComponentCatalog.RegisterAssembly on the component's assembly,
    /// which instantiates only (a) assembly attributes deriving from LoadableClassAttributeBase — internal — and (b) class
    /// attributes deriving from ExtensionBaseAttribute — public, but its only constructor is private protected (CS0122
    /// from outside ML.NET) and its one public subclass, CustomMappingFactoryAttributeAttribute, is sealed. No other code
    /// of ours runs (not even a module initializer: reflection over an assembly does not run it), and the catalog being
    /// loaded into is reachable from nowhere, so registration cannot happen automatically nor can the error be
    /// reworded. If this test fails, ML.NET allows a hook: register from it (docs/ARCHITECTURE.md, "Registration").
    /// </summary>
    [Fact]
    public void LoadingNeedsRegistrationBecauseMLNetOffersNoHook()
    {
        var core = typeof(ComponentCatalog).Assembly;
        var loadableBase = core.GetType("Microsoft.ML.LoadableClassAttributeBase", throwOnError: true)!;
        Assert.False(loadableBase.IsVisible, "LoadableClassAttributeBase became public: declare [assembly: LoadableClass] loaders instead of RegisterBackprop.");
        var extensionBase = typeof(ExtensionBaseAttribute);
        var ctors = extensionBase.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        Assert.NotEmpty(ctors);
        Assert.All(ctors, c => Assert.False(c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly,
            "ExtensionBaseAttribute can now be derived from outside ML.NET: a class attribute's constructor would run during ML.NET's RegisterAssembly."));
        var publicSubclasses = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal))
            .SelectMany(a => { try { return a.GetExportedTypes(); } catch (ReflectionTypeLoadException) { return []; } })
            .Where(t => t.IsSubclassOf(extensionBase)).ToList();
        Assert.All(publicSubclasses, t => Assert.True(t.IsSealed, $"{t.FullName} is public and not sealed: deriving from it is a registration hook."));
    }

    [Fact]
    public void TheTrainersRegistrationIsFoundByItsFixedName()
    {
        var type = Type.GetType(TransformsRegistration.TrainerRegistrationType, throwOnError: false);
        Assert.Equal(typeof(TrainerRegistration), type);
        // Registration through either entry point is idempotent and does not recurse.
        var ml = new MLContext(3);
        TrainerRegistration.Register(ml);
        TransformsRegistration.Register(ml);
        ml.RegisterBackprop();
    }
}
