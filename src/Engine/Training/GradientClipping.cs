using System.Numerics.Tensors;

namespace MLNetBackprop.Engine;

/// <summary>Gradient clipping by the global norm of all parameters' gradients (torch.nn.utils.clip_grad_norm_).</summary>
internal static class GradientClipping
{
    /// <summary>
    /// Scales every gradient so that their global L2 norm is at most <paramref name="maxNorm"/>. Returns the norm before
    /// clipping.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">The largest allowed norm.</param>
    public static double ClipGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sumSquares = 0;
        // Indexed loops: foreach over an IReadOnlyList boxes an enumerator (an allocation per step).
        for (int i = 0; i < parameters.Count; i++)
        {
            double norm = Kernels.Norm(parameters[i].Gradient);
            sumSquares += norm * norm;
        }
        double total = Math.Sqrt(sumSquares);
        float scale = (float)(maxNorm / (total + 1e-6));
        if (scale < 1f)
            for (int i = 0; i < parameters.Count; i++) TensorPrimitives.Multiply(parameters[i].Gradient, scale, parameters[i].Gradient);
        return total;
    }
}
