using System.Runtime.CompilerServices;

namespace MLNetBackprop.Engine;

/// <summary>
/// Softmax cross-entropy on logits, with torch.nn.CrossEntropyLoss's semantics (reduction 'mean'):
/// targets are one class index per row (stored as a float), optional class weights w and label
/// smoothing ε. With q = (1 − ε)·onehot(t) + ε/C and log-probabilities computed stably
/// (log-sum-exp after subtracting the row maximum, in double), row i contributes
/// Lᵢ = (1 − ε)·w[tᵢ]·(−log pᵢ[tᵢ]) + (ε/C)·Σ_c w[c]·(−log pᵢ[c])
/// and the loss is Σᵢ rᵢ·Lᵢ / Σᵢ rᵢ·w[tᵢ], where rᵢ are the example (row) weights.
/// Without row weights (rᵢ = 1) this is exactly PyTorch's weighted mean, which divides by the sum of
/// the target classes' weights, not by N; without class weights (w = 1) it is the plain mean over rows.
/// Example weights therefore multiply each row's loss and its share of the normaliser: a weight of 2
/// on a row is the same as that row appearing twice.
/// The gradient is dL/dxᵢₖ = rᵢ·[pᵢₖ·((1 − ε)·w[tᵢ] + (ε/C)·Σ_c w[c]) − (1 − ε)·w[tᵢ]·[k = tᵢ] − (ε/C)·w[k]] / Σⱼ rⱼ·w[tⱼ],
/// i.e. (softmax − q)·weights/normaliser. If the normaliser is 0 (every row or target class has weight 0)
/// the loss and gradient are 0 (PyTorch would return NaN).
/// </summary>
public sealed class SoftmaxCrossEntropyLoss : Loss
{
    private readonly float[]? _classWeights;
    private readonly double _classWeightSum;

    /// <summary>Creates the loss.</summary>
    /// <param name="classWeights">Optional weight per class (finite, ≥ 0; length = number of outputs); null = all 1.</param>
    /// <param name="labelSmoothing">Label smoothing ε in [0, 1] (PyTorch's <c>label_smoothing</c>; default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A class weight is negative or not finite, or ε is outside [0, 1].</exception>
    public SoftmaxCrossEntropyLoss(float[]? classWeights = null, double labelSmoothing = 0)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1].");
        _classWeights = LossChecks.CopyColumnWeights(classWeights, nameof(classWeights));
        if (_classWeights is not null)
            foreach (float w in _classWeights) _classWeightSum += w;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The weight of each class, or null when every class weighs 1.</summary>
    public IReadOnlyList<float>? ClassWeights => _classWeights;

    /// <summary>Label smoothing ε.</summary>
    public double LabelSmoothing { get; }

    /// <summary>Always <see cref="LossKind.SoftmaxCrossEntropy"/>.</summary>
    public LossKind Kind => LossKind.SoftmaxCrossEntropy;

    /// <summary>True: one class index per row.</summary>
    public override bool TargetsAreClassIndices => true;

    /// <summary>Computes the loss described on the class and its gradient (see <see cref="Loss.Compute"/>).</summary>
    /// <param name="output">Logits, rows × classes.</param>
    /// <param name="targets">One class index per row, an integer in [0, classes) stored as a float.</param>
    /// <param name="rowWeights">Example weights rᵢ (finite, ≥ 0), or empty for all 1.</param>
    /// <param name="gradient">Receives dLoss/dLogits (rows × classes; its rows are set to the output's). May be <paramref name="output"/> itself.</param>
    /// <returns>Σᵢ rᵢ·Lᵢ / Σᵢ rᵢ·w[tᵢ].</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is not a class index, or a row weight is negative or not finite.</exception>
    /// <exception cref="ArgumentException">Sizes disagree.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override double Compute(Matrix output, ReadOnlySpan<float> targets, ReadOnlySpan<float> rowWeights, Matrix gradient)
    {
        LossChecks.Check(output, targets, 1, rowWeights, gradient);
        int rows = output.Rows, classes = output.Columns;
        LossChecks.CheckColumnCount(_classWeights, classes, "classWeights");
        var cw = _classWeights;

        double normaliser = 0;
        for (int i = 0; i < rows; i++)
        {
            int t = ClassIndex(targets[i], classes, i);
            double r = rowWeights.IsEmpty ? 1 : rowWeights[i];
            normaliser += r * (cw is null ? 1 : cw[t]);
        }
        if (normaliser == 0)
        {
            gradient.Span.Clear();
            return 0;
        }

        double scale = 1 / normaliser;
        double keep = 1 - LabelSmoothing, smooth = LabelSmoothing / classes;
        double weightSum = cw is null ? classes : _classWeightSum;
        double total = 0;

        // Per row: eₖ = exp(xₖ − max) once (scalar Math.Exp: deterministic whatever the JIT tier), then
        // log-sum-exp = max + log Σe and pₖ = eₖ / Σe. Rows whose maximum is not finite take LogSumExp.
        var e = t_exp is { } buf && buf.Length >= classes ? buf : (t_exp = new double[Math.Max(classes, 64)]);
        for (int i = 0; i < rows; i++)
        {
            var x = output.Row(i);
            var g = gradient.Row(i);
            double r = rowWeights.IsEmpty ? 1 : rowWeights[i];
            if (r == 0)
            {
                g.Clear();
                continue;
            }
            int t = (int)targets[i];
            double wt = cw is null ? 1 : cw[t];
            var ei = e.AsSpan(0, classes);
            double lse;
            double max = double.NegativeInfinity;
            for (int k = 0; k < classes; k++)
                if (x[k] > max) max = x[k];
            if (double.IsFinite(max))
            {
                double sum = 0;
                for (int k = 0; k < classes; k++) sum += ei[k] = Math.Exp(x[k] - max);
                lse = max + Math.Log(sum);
                double inv = 1 / sum;
                for (int k = 0; k < classes; k++) ei[k] *= inv; // pₖ
            }
            else
            {
                lse = Kernels.LogSumExp(x, out _);
                for (int k = 0; k < classes; k++) ei[k] = Math.Exp(x[k] - lse);
            }
            double rowLoss = keep * wt * (lse - x[t]);
            if (smooth != 0)
            {
                double s = 0;
                for (int k = 0; k < classes; k++) s += (cw is null ? 1 : cw[k]) * (lse - x[k]);
                rowLoss += smooth * s;
            }
            total += r * rowLoss;

            double a = r * scale * (keep * wt + smooth * weightSum); // coefficient of pₖ
            double bt = r * scale * keep * wt;                         // one-hot part, class t only
            double bs = r * scale * smooth;                            // smoothing part, times w[k]
            for (int k = 0; k < classes; k++)
            {
                double p = ei[k];
                double gk = a * p - bs * (cw is null ? 1 : cw[k]);
                if (k == t) gk -= bt;
                g[k] = (float)gk;
            }
        }
        return total * scale;
    }

    /// <summary>Replaces each row of logits by its softmax: the served link (<see cref="OutputLink.Softmax"/>).</summary>
    /// <param name="output">Logits, rows × classes; overwritten by probabilities.</param>
    public override void Predict(Matrix output)
    {
        ArgumentNullException.ThrowIfNull(output);
        for (int r = 0; r < output.Rows; r++) OutputLink.Softmax(output.Span.Slice(r * output.Columns, output.Columns));
    }

    /// <summary>Per-thread scratch for one row's exponentials.</summary>
    [ThreadStatic] private static double[]? t_exp;

    private static int ClassIndex(float target, int classes, int row)
    {
        if (!(target >= 0 && target < classes) || target != MathF.Floor(target))
            throw new ArgumentOutOfRangeException("targets", target, $"Target of row {row} must be a class index in [0, {classes - 1}].");
        return (int)target;
    }
}
