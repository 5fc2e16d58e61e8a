using System.Numerics.Tensors;

namespace MLNetBackprop.Engine;

public static partial class Kernels
{
    /// <summary>The Euclidean norm of <paramref name="values"/>, accumulated in double.</summary>
    /// <param name="values">The values.</param>
    public static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        const int Chunk = 4096;
        for (int i = 0; i < values.Length; i += Chunk)
        {
            var part = values.Slice(i, Math.Min(Chunk, values.Length - i));
            sum += TensorPrimitives.SumOfSquares(part);
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Adds the L2 penalty's gradient λ·w to every weight parameter's gradient (biases and
    /// BatchNorm γ/β are skipped) and returns the penalty λ/2·Σw².
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="lambda">λ.</param>
    public static double AddL2(IReadOnlyList<Parameter> parameters, float lambda)
    {
        double penalty = 0;
        foreach (var p in parameters)
        {
            if (!p.IsWeight) continue;
            double norm = Norm(p.Value);
            // s·λ/2·Σw², s the parameter's penalty scale (c² for a neural-tangent weight, so the penalty is on c·W).
            penalty += p.PenaltyScale * norm * norm;
            TensorPrimitives.MultiplyAdd(p.Value, (float)(lambda * p.PenaltyScale), p.Gradient, p.Gradient);
        }
        return 0.5 * lambda * penalty;
    }

    /// <summary>
    /// Scales every gradient so that their global L2 norm is at most <paramref name="maxNorm"/>
    /// (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">The largest allowed norm.</param>
    public static double ClipGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        double sumSquares = 0;
        // Indexed loops: foreach over an IReadOnlyList boxes an enumerator (an allocation per step).
        for (int i = 0; i < parameters.Count; i++)
        {
            double norm = Norm(parameters[i].Gradient);
            sumSquares += norm * norm;
        }
        double total = Math.Sqrt(sumSquares);
        float scale = (float)(maxNorm / (total + 1e-6));
        if (scale < 1f)
            for (int i = 0; i < parameters.Count; i++) TensorPrimitives.Multiply(parameters[i].Gradient, scale, parameters[i].Gradient);
        return total;
    }

    /// <summary>Numerically stable softmax of one row, in place (the maximum is subtracted first).</summary>
    /// <param name="row">Logits in, probabilities out.</param>
    public static void SoftmaxInPlace(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
    }

    /// <summary>The logistic sigmoid of each value, in place.</summary>
    /// <param name="values">Logits in, probabilities out.</param>
    public static void SigmoidInPlace(Span<float> values) => TensorPrimitives.Sigmoid(values, values);
}

