using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>Makes an <see cref="MLContext"/> able to load every MLNetBackprop transformer from a model file.</summary>
public static class BackpropRegistration
{
    /// <summary>
    /// Registers the loaders of the MLP prediction transformers and the BatchNorm transform with
    /// <paramref name="mlContext"/>. Call it once, before <c>mlContext.Model.Load</c>, in any app that
    /// only consumes a model.zip (including web apps scoring through PredictionEnginePool: call it on the
    /// pool's MLContext). An MLContext that built one of our estimators is registered already. Idempotent.
    /// </summary>
    /// <param name="mlContext">The context to register with.</param>
    /// <returns>The same context, for chaining.</returns>
    public static MLContext RegisterBackprop(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        Register(mlContext);
        return mlContext;
    }

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
