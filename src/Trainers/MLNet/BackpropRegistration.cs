using MLNetBackprop;

// Catalog extensions live in namespace Microsoft.ML, as ML.NET's own trainer packages' do, so that
// `using Microsoft.ML;` alone makes them visible.
namespace Microsoft.ML;

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
        TrainerRegistration.Register(mlContext);
        return mlContext;
    }
}
