using System.Reflection;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Registers the model loaders of MLNetBackprop.Transforms with an ML.NET environment, so that
/// <c>mlContext.Model.Load</c> can recreate our transformers. Idempotent and thread-safe.
/// </summary>
internal static class TransformsRegistration
{
    /// <summary>
    /// Our own trainers' registration (MLNetBackprop.Trainers references this assembly, not the other way round), found
    /// by a fixed name — never a name read from a model file. Null when that assembly is not deployed.
    /// </summary>
    private static readonly Lazy<Action<IHostEnvironment>?> s_trainerLoaders = new(FindTrainerLoaders);

    /// <summary>The assembly-qualified name of the trainers' registration class.</summary>
    internal const string TrainerRegistrationType = "MLNetBackprop.TrainerRegistration, MLNetBackprop.Trainers";

    /// <summary>
    /// Registers every loader of this assembly in <paramref name="env"/>'s component catalog, then — when
    /// MLNetBackprop.Trainers is present — the MLP loaders too, so that a context that only built a
    /// BatchNormalize estimator can load a model with one of our trainers.
    /// </summary>
    public static void Register(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        MLNetBridge.RegisterLoader(env, BatchNormalizingTransformer.Identity, typeof(BatchNormalizingTransformer), BatchNormalizingTransformer.LoaderMethod);
        s_trainerLoaders.Value?.Invoke(env);
    }

    private static Action<IHostEnvironment>? FindTrainerLoaders()
    {
        var type = Type.GetType(TrainerRegistrationType, throwOnError: false);
        var method = type?.GetMethod("RegisterTrainerLoaders", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, [typeof(IHostEnvironment)]);
        if (method is null || method.ReturnType != typeof(void)) return null;
        return method.CreateDelegate<Action<IHostEnvironment>>();
    }
}
