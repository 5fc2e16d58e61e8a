namespace MLNetBackprop.Engine;

/// <summary>
/// The one link from a network's raw outputs to predictions — softmax for softmax cross-entropy, the logistic sigmoid for
/// sigmoid cross-entropy, the identity for the regression losses — shared by the validation metrics during training
/// (<see cref="Loss.Predict"/>), the engine's scoring (<see cref="InferenceNetwork"/>) and the served scores of a model,
/// so a metric measured while training is a metric of what is served.
/// </summary>
internal static class OutputLink
{
    /// <summary>Maps one row of raw outputs to predictions in place.</summary>
    /// <param name="loss">The loss the network was trained with.</param>
    /// <param name="row">Raw outputs in, predictions out.</param>
    public static void Apply(LossKind loss, Span<float> row)
    {
        switch (loss)
        {
            case LossKind.SoftmaxCrossEntropy: Softmax(row); break;
            case LossKind.SigmoidCrossEntropy: Sigmoid(row); break;
        }
    }

    /// <summary>The logistic sigmoid of each value, in place.</summary>
    /// <param name="logits">Logits in, probabilities out.</param>
    public static void Sigmoid(Span<float> logits) => Kernels.SigmoidForward(logits, logits);

    /// <summary>
    /// Softmax of one row in place: max-subtracted (finite logits of any size sum to 1), with the limit rule for logits
    /// that overflowed to ±∞ (where ∞ − ∞ would give NaN).
    /// </summary>
    /// <param name="logits">Logits in, probabilities out.</param>
    public static void Softmax(Span<float> logits)
    {
        if (HasInfinity(logits)) SoftmaxOfInfinities(logits);
        else Kernels.SoftmaxInPlace(logits);
    }

    private static bool HasInfinity(ReadOnlySpan<float> logits)
    {
        foreach (float v in logits)
            if (float.IsInfinity(v)) return true;
        return false;
    }

    /// <summary>
    /// The limit of softmax when logits overflowed to ±∞: the probability is shared equally by the +∞ logits (by all
    /// logits when every one is −∞); finite and −∞ logits get 0. A NaN logit still gives NaN.
    /// </summary>
    private static void SoftmaxOfInfinities(Span<float> logits)
    {
        int top = 0;
        bool anyNaN = false, allNegative = true;
        foreach (float v in logits)
        {
            if (float.IsNaN(v)) anyNaN = true;
            if (float.IsPositiveInfinity(v)) top++;
            if (!float.IsNegativeInfinity(v)) allNegative = false;
        }
        if (anyNaN)
        {
            logits.Fill(float.NaN);
            return;
        }
        if (allNegative)
        {
            logits.Fill(1f / logits.Length);
            return;
        }
        if (top == 0)
        {
            // Only −∞ among finite logits: exp(−∞) = 0 exactly; the finite ones go through the stable kernel.
            Span<int> finite = logits.Length <= 256 ? stackalloc int[logits.Length] : new int[logits.Length];
            int m = 0;
            for (int i = 0; i < logits.Length; i++) if (float.IsFinite(logits[i])) finite[m++] = i;
            Span<float> part = m <= 256 ? stackalloc float[m] : new float[m];
            for (int k = 0; k < m; k++) part[k] = logits[finite[k]];
            Kernels.SoftmaxInPlace(part);
            logits.Clear();
            for (int k = 0; k < m; k++) logits[finite[k]] = part[k];
            return;
        }
        for (int i = 0; i < logits.Length; i++) logits[i] = float.IsPositiveInfinity(logits[i]) ? 1f / top : 0f;
    }
}
