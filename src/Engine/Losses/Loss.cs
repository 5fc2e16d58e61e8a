namespace MLNetBackprop.Engine;

/// <summary>
/// A loss on the network's raw outputs (logits for classification). It returns the mean loss of
/// the batch and writes dLoss/dOutput, so the last layer's Backward can start from it.
/// </summary>
public abstract class Loss
{
    /// <summary>
    /// How targets are laid out: one class index per row (<see cref="TargetsAreClassIndices"/> true)
    /// or one value per output (rows × outputs).
    /// </summary>
    public abstract bool TargetsAreClassIndices { get; }

    /// <summary>Computes the batch loss and its gradient with respect to <paramref name="output"/>.</summary>
    /// <param name="output">Network outputs, rows × outputs.</param>
    /// <param name="targets">Class indices (one per row) or target values (rows × outputs).</param>
    /// <param name="rowWeights">Optional per-row example weights (empty = all 1); the loss is their weighted mean.</param>
    /// <param name="gradient">Receives dLoss/dOutput, same shape as <paramref name="output"/>.</param>
    /// <returns>The (weighted) mean loss over the batch.</returns>
    public abstract double Compute(Matrix output, ReadOnlySpan<float> targets, ReadOnlySpan<float> rowWeights, Matrix gradient);

    /// <summary>
    /// Maps raw outputs to predictions in place (softmax, sigmoid or identity) with the served link: validation metrics
    /// computed from these are metrics of what a model serves.
    /// </summary>
    /// <param name="output">Network outputs, rows × outputs; overwritten.</param>
    public abstract void Predict(Matrix output);
}
