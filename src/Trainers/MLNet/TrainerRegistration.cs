using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Registers the loaders of both MLNetBackprop assemblies with an ML.NET environment. The public entry point is
/// <c>mlContext.RegisterBackprop()</c> (<see cref="Microsoft.ML.BackpropRegistration"/>); every estimator of ours
/// calls <see cref="Register"/> on the context it is built with.
/// </summary>
internal static class TrainerRegistration
{
    /// <summary>
    /// Registers every loader of both MLNetBackprop assemblies with <paramref name="env"/>: the Transforms
    /// registration registers its own loaders and calls back <see cref="RegisterTrainerLoaders"/> (found by name);
    /// the direct call after it is a no-op then (registration is idempotent) and covers a host where that
    /// by-name lookup cannot see this assembly (e.g. loaded into another AssemblyLoadContext).
    /// </summary>
    internal static void Register(IHostEnvironment env)
    {
        TransformsRegistration.Register(env);
        RegisterTrainerLoaders(env);
    }

    /// <summary>
    /// Registers the loaders of the three MLP prediction transformers only. Called by
    /// <c>TransformsRegistration.Register</c> (found by name, as MLNetBackprop.Transforms cannot reference this
    /// assembly); it must not call back into it.
    /// </summary>
    internal static void RegisterTrainerLoaders(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        MLNetBridge.RegisterLoader(env, MlpMulticlassPredictionTransformer.ModelIdentity, typeof(MlpMulticlassPredictionTransformer), MlpMulticlassPredictionTransformer.LoaderMethod);
        MLNetBridge.RegisterLoader(env, MlpBinaryPredictionTransformer.ModelIdentity, typeof(MlpBinaryPredictionTransformer), MlpBinaryPredictionTransformer.LoaderMethod);
        MLNetBridge.RegisterLoader(env, MlpRegressionPredictionTransformer.ModelIdentity, typeof(MlpRegressionPredictionTransformer), MlpRegressionPredictionTransformer.LoaderMethod);
    }
}
