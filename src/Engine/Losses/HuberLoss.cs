namespace MLNetBackprop.Engine;

/// <summary>
/// Huber loss, torch.nn.HuberLoss (reduction 'mean'): with residual d = x − y, each element contributes
/// ½d² when |d| &lt; δ and δ·(|d| − ½δ) otherwise; the gradient is clamp(d, −δ, δ)/N. With example (row)
/// weights rᵢ each element of row i is multiplied by rᵢ and the normaliser is outputs·Σᵢ rᵢ (N when every
/// rᵢ = 1), so a weight of 2 on a row equals that row appearing twice. If the normaliser is 0 the loss and
/// gradient are 0.
/// </summary>
public sealed class HuberLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="delta">δ, where the loss turns from quadratic to linear (finite, &gt; 0; default 1, as PyTorch).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not a finite number &gt; 0.</exception>
    public HuberLoss(double delta = 1.0)
    {
        if (!(delta > 0) || double.IsInfinity(delta))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be a finite number > 0.");
        Delta = delta;
    }

    /// <summary>δ, where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <summary>Always <see cref="LossKind.Huber"/>.</summary>
    public LossKind Kind => LossKind.Huber;

    /// <summary>False: one target per output.</summary>
    public override bool TargetsAreClassIndices => false;

    /// <summary>Computes the loss described on the class and its gradient (see <see cref="Loss.Compute"/>).</summary>
    /// <param name="output">Predictions, rows × outputs.</param>
    /// <param name="targets">Targets, rows × outputs, row-major.</param>
    /// <param name="rowWeights">Example weights rᵢ (finite, ≥ 0), or empty for all 1.</param>
    /// <param name="gradient">Receives dLoss/dOutput (rows × outputs). May be <paramref name="output"/> itself.</param>
    /// <returns>The (row-weighted) mean Huber loss over all elements.</returns>
    /// <exception cref="ArgumentException">Sizes disagree, or a row weight is negative or not finite.</exception>
    public override double Compute(Matrix output, ReadOnlySpan<float> targets, ReadOnlySpan<float> rowWeights, Matrix gradient)
    {
        LossChecks.Check(output, targets, output.Columns, rowWeights, gradient);
        int rows = output.Rows, columns = output.Columns;
        double normaliser = LossChecks.RowWeightSum(rowWeights, rows) * columns;
        if (normaliser == 0)
        {
            gradient.Span.Clear();
            return 0;
        }

        double delta = Delta, scale = 1 / normaliser, total = 0;
        for (int i = 0; i < rows; i++)
        {
            var x = output.Row(i);
            var g = gradient.Row(i);
            var y = targets.Slice(i * columns, columns);
            double r = rowWeights.IsEmpty ? 1 : rowWeights[i];
            double rowLoss = 0, gs = r * scale;
            for (int j = 0; j < columns; j++)
            {
                double d = (double)x[j] - y[j];
                double a = Math.Abs(d);
                rowLoss += a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
                g[j] = (float)(gs * Math.Clamp(d, -delta, delta));
            }
            total += r * rowLoss;
        }
        return total * scale;
    }

    /// <summary>Leaves the outputs unchanged (identity).</summary>
    /// <param name="output">Network outputs.</param>
    public override void Predict(Matrix output) => ArgumentNullException.ThrowIfNull(output);
}
