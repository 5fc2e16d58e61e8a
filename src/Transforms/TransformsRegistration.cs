using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Registers the model loaders of MLNetBackprop.Transforms with an ML.NET environment, so that
/// <c>mlContext.Model.Load</c> can recreate our transformers. Idempotent and thread-safe.
/// </summary>
internal static class TransformsRegistration
{
    /// <summary>Registers every loader of this assembly in <paramref name="env"/>'s component catalog.</summary>
    public static void Register(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        MLNetBridge.RegisterLoader(env, BatchNormalizingTransformer.Identity, typeof(BatchNormalizingTransformer), BatchNormalizingTransformer.LoaderMethod);
    }
}
