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

    /// <summary>Registers every loader of both MLNetBackprop assemblies with <paramref name="env"/>.</summary>
    internal static void Register(IHostEnvironment env)
    {
        TransformsRegistration.Register(env);
        MLNetBridge.RegisterLoader(env, MlpMulticlassPredictionTransformer.ModelIdentity, typeof(MlpMulticlassPredictionTransformer), MlpMulticlassPredictionTransformer.LoaderMethod);
        MLNetBridge.RegisterLoader(env, MlpBinaryPredictionTransformer.ModelIdentity, typeof(MlpBinaryPredictionTransformer), MlpBinaryPredictionTransformer.LoaderMethod);
        MLNetBridge.RegisterLoader(env, MlpRegressionPredictionTransformer.ModelIdentity, typeof(MlpRegressionPredictionTransformer), MlpRegressionPredictionTransformer.LoaderMethod);
    }
}
