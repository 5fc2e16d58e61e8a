using System.Numerics.Tensors;

namespace MLNetBackprop.Engine;

/// <summary>The L2 penalty's policy over a network's parameters: which it applies to and with what scale.</summary>
internal static class WeightPenalty
{
    /// <summary>
    /// Adds the L2 penalty's gradient λ·s·w to every weight parameter's gradient (biases, BatchNorm γ/β, feature scales
    /// and embedding parameters are skipped; s is the parameter's <see cref="Parameter.PenaltyScale"/>) and returns the
    /// penalty λ/2·Σ s·w².
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="lambda">λ.</param>
    public static double AddL2(IReadOnlyList<Parameter> parameters, float lambda)
    {
        double penalty = 0;
        // Indexed loop: foreach over an IReadOnlyList boxes an enumerator (an allocation per step).
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (!p.IsWeight) continue;
            double norm = Kernels.Norm(p.Value);
            // s·λ/2·Σw², s the parameter's penalty scale (c² for a neural-tangent weight, so the penalty is on c·W).
            penalty += p.PenaltyScale * norm * norm;
            TensorPrimitives.MultiplyAdd(p.Value, (float)(lambda * p.PenaltyScale), p.Gradient, p.Gradient);
        }
        return 0.5 * lambda * penalty;
    }
}
