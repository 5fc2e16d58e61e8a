namespace MLNetBackprop.Engine;

/// <summary>
/// Sigmoid cross-entropy on logits, with torch.nn.BCEWithLogitsLoss's semantics (reduction 'mean'):
/// targets y ∈ [0, 1], one per output (rows × outputs), and an optional positive-class weight pⱼ per output
/// column, and optional label smoothing ε (targets y·(1 − ε) + ε/2 before the loss). Each element contributes, in PyTorch's stable form,
/// ℓ = (1 − y)·x + (1 + (p − 1)·y)·softplus(−x) = −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))],
/// with gradient dℓ/dx = (1 + (p − 1)·y)·σ(x) − p·y (σ(x) − y when p = 1).
/// The loss is the mean over all elements; with example (row) weights rᵢ each element of row i is
/// multiplied by rᵢ and the normaliser is outputs·Σᵢ rᵢ (the plain mean when every rᵢ = 1), so a weight of
/// 2 on a row equals that row appearing twice. If the normaliser is 0 the loss and gradient are 0.
/// </summary>
public sealed class SigmoidCrossEntropyLoss : Loss
{
    private readonly float[]? _positiveWeights;

    /// <summary>Creates the loss.</summary>
    /// <param name="positiveWeights">Optional PyTorch <c>pos_weight</c>, one per output column (finite, ≥ 0); null = all 1.</param>
    /// <param name="labelSmoothing">ε in [0, 1): each target y is replaced by y·(1 − ε) + ε/2 — softmax label smoothing over the
    /// two classes of a sigmoid output, so the logits are not pushed towards ±∞ (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A weight is negative or not finite, or ε is outside [0, 1).</exception>
    public SigmoidCrossEntropyLoss(float[]? positiveWeights = null, float labelSmoothing = 0f)
    {
        _positiveWeights = LossChecks.CopyColumnWeights(positiveWeights, nameof(positiveWeights));
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>ε of the label smoothing (targets y·(1 − ε) + ε/2).</summary>
    public float LabelSmoothing { get; }

    /// <summary>The positive-class weight of each output column, or null when all are 1.</summary>
    public IReadOnlyList<float>? PositiveWeights => _positiveWeights;

    /// <summary>Always <see cref="LossKind.SigmoidCrossEntropy"/>.</summary>
    public LossKind Kind => LossKind.SigmoidCrossEntropy;

    /// <summary>False: one target per output.</summary>
    public override bool TargetsAreClassIndices => false;

    /// <summary>Computes the loss described on the class and its gradient (see <see cref="Loss.Compute"/>).</summary>
    /// <param name="output">Logits, rows × outputs.</param>
    /// <param name="targets">Targets in [0, 1], rows × outputs, row-major.</param>
    /// <param name="rowWeights">Example weights rᵢ (finite, ≥ 0), or empty for all 1.</param>
    /// <param name="gradient">Receives dLoss/dLogits (rows × outputs). May be <paramref name="output"/> itself.</param>
    /// <returns>Σᵢ rᵢ·Σⱼ ℓᵢⱼ / (outputs·Σᵢ rᵢ).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, 1], or a row weight is negative or not finite.</exception>
    /// <exception cref="ArgumentException">Sizes disagree.</exception>
    public override double Compute(Matrix output, ReadOnlySpan<float> targets, ReadOnlySpan<float> rowWeights, Matrix gradient)
    {
        LossChecks.Check(output, targets, output.Columns, rowWeights, gradient);
        int rows = output.Rows, columns = output.Columns;
        LossChecks.CheckColumnCount(_positiveWeights, columns, "positiveWeights");
        double normaliser = LossChecks.RowWeightSum(rowWeights, rows) * columns;
        if (normaliser == 0)
        {
            gradient.Span.Clear();
            return 0;
        }

        var pw = _positiveWeights;
        double scale = 1 / normaliser, total = 0;
        for (int i = 0; i < rows; i++)
        {
            var x = output.Row(i);
            var g = gradient.Row(i);
            var y = targets.Slice(i * columns, columns);
            double r = rowWeights.IsEmpty ? 1 : rowWeights[i];
            double rowLoss = 0, gs = r * scale;
            for (int j = 0; j < columns; j++)
            {
                double yj = y[j];
                if (!(yj >= 0 && yj <= 1))
                    throw new ArgumentOutOfRangeException(nameof(targets), y[j], $"Target ({i}, {j}) must be in [0, 1].");
                if (LabelSmoothing != 0) yj = yj * (1.0 - LabelSmoothing) + 0.5 * LabelSmoothing;
                double xj = x[j];
                double p = pw is null ? 1 : pw[j];
                double lw = 1 + (p - 1) * yj;
                rowLoss += (1 - yj) * xj + lw * Kernels.LogOnePlusExp(-xj);
                g[j] = (float)(gs * (lw * Kernels.Logistic(xj) - p * yj));
            }
            total += r * rowLoss;
        }
        return total * scale;
    }

    /// <summary>Replaces each logit by its sigmoid probability: the served link (<see cref="OutputLink.Sigmoid"/>).</summary>
    /// <param name="output">Logits; overwritten by probabilities.</param>
    public override void Predict(Matrix output)
    {
        ArgumentNullException.ThrowIfNull(output);
        OutputLink.Sigmoid(output.Span);
    }
}
