using MLNetBackprop;
using MLNetBackprop.Internals;

// Catalog extensions live in namespace Microsoft.ML, as ML.NET's own trainer packages' do, so that
// `using Microsoft.ML;` alone makes them visible.
namespace Microsoft.ML;

/// <summary>Extension methods adding MLNetBackprop transforms to <see cref="TransformsCatalog"/>.</summary>
public static class BackpropTransformsCatalog
{
    /// <summary>
    /// Standardizes <paramref name="inputColumnName"/> slot by slot like PyTorch's <c>BatchNorm1d</c> in eval mode,
    /// with statistics (mean, unbiased variance) learned from all training rows:
    /// <c>y = γ·(x − mean)/√(var + ε) + β</c>.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Column written (same type and size as the input).</param>
    /// <param name="inputColumnName">Column read: Single scalar or known-size Single vector; defaults to <paramref name="outputColumnName"/>.</param>
    /// <param name="epsilon">ε added to the variance; positive.</param>
    /// <param name="gamma">Scale γ: null for 1, one value for every slot, or one per slot.</param>
    /// <param name="beta">Shift β: null for 0, one value for every slot, or one per slot.</param>
    public static BatchNormalizingEstimator BatchNormalize(this TransformsCatalog catalog, string outputColumnName,
        string? inputColumnName = null, float epsilon = 1e-5f, float[]? gamma = null, float[]? beta = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new BatchNormalizingEstimator(MLNetBridge.GetEnvironment(catalog), outputColumnName, inputColumnName, epsilon, gamma, beta);
    }
}
