using MLNetBackprop.Engine;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>
/// Combines the raw outputs of an ensemble's members into the raw output of the ensemble: the output whose link
/// (softmax, sigmoid, identity) gives the members' average prediction. Softmax: log p̄, p̄ the mean of the members'
/// class probabilities (each member's from the served softmax), so softmax of it is p̄. Sigmoid: the logit of the mean
/// probability, log p̄ − log(1 − p̄), each side a logsumexp of −softplus(∓z_m), finite for finite logits. Identity
/// (regression): the mean. All in double; one member passes through unchanged.
/// </summary>
internal static class EnsembleAverage
{
    /// <summary>Writes the ensemble's raw output of one row into <paramref name="output"/>.</summary>
    /// <param name="link">The members' loss (gives the link).</param>
    /// <param name="members">Each member's raw outputs; the row's values start at <paramref name="offset"/>.</param>
    /// <param name="offset">Where the row starts in each member's buffer.</param>
    /// <param name="output">Receives the combined raw outputs.</param>
    public static void Combine(LossKind link, ReadOnlySpan<float[]> members, int offset, Span<float> output)
    {
        int k = members.Length, n = output.Length;
        if (k == 1)
        {
            members[0].AsSpan(offset, n).CopyTo(output);
            return;
        }
        double logK = Math.Log(k);
        switch (link)
        {
            case LossKind.SoftmaxCrossEntropy:
            {
                // Mean of the members' probabilities in double, then its log: softmax(log p̄) = p̄ (Σ p̄ = 1).
                Span<double> mean = n <= 256 ? stackalloc double[n] : new double[n];
                mean.Clear();
                Span<float> p = n <= 256 ? stackalloc float[n] : new float[n];
                for (int m = 0; m < k; m++)
                {
                    members[m].AsSpan(offset, n).CopyTo(p);
                    OutputLink.Softmax(p); // the served link, infinities included
                    for (int c = 0; c < n; c++) mean[c] += p[c];
                }
                for (int c = 0; c < n; c++) output[c] = (float)Math.Log(mean[c] / k);
                break;
            }
            case LossKind.SigmoidCrossEntropy:
                for (int c = 0; c < n; c++)
                {
                    double logP = LogMeanExp(members, offset + c, k, sign: -1), logQ = LogMeanExp(members, offset + c, k, sign: +1);
                    output[c] = (float)(logP - logQ);
                }
                break;
            default:
                for (int c = 0; c < n; c++)
                {
                    double sum = 0;
                    for (int m = 0; m < k; m++) sum += members[m][offset + c];
                    output[c] = (float)(sum / k);
                }
                break;
        }
    }

    /// <summary>
    /// The ONNX form of <see cref="Combine"/>: softmax, log of the Mean of the members' Softmax; sigmoid, the members'
    /// logits stacked on a new last axis, log p̄ − log(1 − p̄) as ReduceLogSumExp(−Softplus(∓z)) (the log k cancels);
    /// identity, the Mean.
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="link">The members' loss.</param>
    /// <param name="members">Each member's raw outputs, [rows, n].</param>
    public static string ExportOnnx(OnnxGraph graph, LossKind link, IReadOnlyList<string> members)
    {
        if (members.Count == 1) return members[0];
        switch (link)
        {
            case LossKind.SoftmaxCrossEntropy:
                var probabilities = members.Select(z => graph.Node("Softmax", [z], "member.probabilities", new OnnxAttributes().Int("axis", 1))).ToArray();
                return graph.Unary("Log", graph.Node("Mean", probabilities, "ensemble.probabilities"), "ensemble.logits");
            case LossKind.SigmoidCrossEntropy:
                var stacked = members.Select(z => graph.Node("Unsqueeze", [z], "member.logits", new OnnxAttributes().Ints("axes", [2]))).ToArray();
                string all = graph.Node("Concat", stacked, "ensemble.members", new OnnxAttributes().Int("axis", 2));
                var reduce = new OnnxAttributes().Ints("axes", [2]).Int("keepdims", 0);
                string logP = graph.Node("ReduceLogSumExp", [graph.Unary("Neg", graph.Unary("Softplus", graph.Unary("Neg", all)))], "ensemble.logp", reduce);
                string logQ = graph.Node("ReduceLogSumExp", [graph.Unary("Neg", graph.Unary("Softplus", all))], "ensemble.logq", reduce);
                return graph.Sub(logP, logQ, "ensemble.logits");
            default:
                return graph.Node("Mean", [.. members], "ensemble.outputs");
        }
    }

    /// <summary>log((1/k)·Σ_m σ(−sign·z_m)) = log mean of p (sign −1) or of 1 − p (sign +1), with log σ(x) = −softplus(−x).</summary>
    private static double LogMeanExp(ReadOnlySpan<float[]> members, int index, int k, int sign)
    {
        double max = double.NegativeInfinity;
        Span<double> terms = k <= 64 ? stackalloc double[k] : new double[k];
        for (int m = 0; m < k; m++)
        {
            double z = members[m][index];
            terms[m] = -Softplus(sign * z); // log σ(−sign·z)
            max = Math.Max(max, terms[m]);
        }
        if (double.IsNaN(max) || double.IsNegativeInfinity(max)) return max;
        double sum = 0;
        for (int m = 0; m < k; m++) sum += Math.Exp(terms[m] - max);
        return max + Math.Log(sum) - Math.Log(k);
    }

    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

}
