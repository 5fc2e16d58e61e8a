namespace MLNetBackprop.Engine;

/// <summary>
/// Mean squared error, torch.nn.MSELoss (reduction 'mean'): the mean of (x − y)² over all elements, with
/// gradient 2(x − y)/N. With example (row) weights rᵢ each element of row i is multiplied by rᵢ and the
/// normaliser is outputs·Σᵢ rᵢ (N when every rᵢ = 1), so a weight of 2 on a row equals that row appearing
/// twice. If the normaliser is 0 the loss and gradient are 0.
/// </summary>
public sealed class MeanSquaredErrorLoss : Loss
{
    /// <summary>Always <see cref="LossKind.MeanSquaredError"/>.</summary>
    public LossKind Kind => LossKind.MeanSquaredError;

    /// <summary>False: one target per output.</summary>
    public override bool TargetsAreClassIndices => false;

    /// <summary>Computes the loss described on the class and its gradient (see <see cref="Loss.Compute"/>).</summary>
    /// <param name="output">Predictions, rows × outputs.</param>
    /// <param name="targets">Targets, rows × outputs, row-major.</param>
    /// <param name="rowWeights">Example weights rᵢ (finite, ≥ 0), or empty for all 1.</param>
    /// <param name="gradient">Receives dLoss/dOutput (rows × outputs). May be <paramref name="output"/> itself.</param>
    /// <returns>Σᵢ rᵢ·Σⱼ (xᵢⱼ − yᵢⱼ)² / (outputs·Σᵢ rᵢ).</returns>
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

        double scale = 1 / normaliser, total = 0;
        for (int i = 0; i < rows; i++)
        {
            var x = output.Row(i);
            var g = gradient.Row(i);
            var y = targets.Slice(i * columns, columns);
            double r = rowWeights.IsEmpty ? 1 : rowWeights[i];
            double rowLoss = 0, gs = 2 * r * scale;
            for (int j = 0; j < columns; j++)
            {
                double d = (double)x[j] - y[j];
                rowLoss += d * d;
                g[j] = (float)(gs * d);
            }
            total += r * rowLoss;
        }
        return total * scale;
    }

    /// <summary>Leaves the outputs unchanged (identity).</summary>
    /// <param name="output">Network outputs.</param>
    public override void Predict(Matrix output) => ArgumentNullException.ThrowIfNull(output);
}
