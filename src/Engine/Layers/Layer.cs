namespace MLNetBackprop.Engine;

/// <summary>
/// One node of the computational graph. <see cref="Forward"/> maps a mini-batch (rows × <see cref="InputSize"/>)
/// to rows × <see cref="OutputSize"/> and keeps what <see cref="Backward"/> needs; <see cref="Backward"/>
/// receives dLoss/dOutput, writes the gradients of its parameters and returns dLoss/dInput.
/// The returned matrices belong to the layer and stay valid until its next call.
/// </summary>
public abstract class Layer
{
    /// <summary>Width of the input rows.</summary>
    public abstract int InputSize { get; }

    /// <summary>Width of the output rows.</summary>
    public abstract int OutputSize { get; }

    /// <summary>The layer's trainable parameters (none for activations).</summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>
    /// Buffers other than the parameters that define what the layer computes (BatchNorm's running statistics), in a
    /// fixed order: copied with the weights for best-epoch snapshots, checkpoints and model files. Empty by default.
    /// </summary>
    public virtual IReadOnlyList<float[]> StateBuffers => [];

    /// <summary>
    /// Counters the layer keeps besides its buffers (BatchNorm's batches tracked), in a fixed order: saved in checkpoints
    /// and restored with them, so a resumed run continues them. Empty by default; the span is the layer's own storage.
    /// </summary>
    internal virtual Span<long> Counters => [];

    /// <summary>
    /// What the layer becomes for scoring (<see cref="InferenceNetwork"/>): a row transform, a factor folded into the next
    /// affine map, an affine block, a fold into the open block, its activation, or nothing. A layer with no scoring form
    /// throws.
    /// </summary>
    /// <param name="builder">Collects the network's scoring form, layer after layer.</param>
    internal virtual void CompileForInference(InferenceBuilder builder) =>
        throw new NotSupportedException($"{GetType().Name} has no scoring form.");

    /// <summary>Computes the layer's output for a mini-batch.</summary>
    /// <param name="input">rows × InputSize. Must stay unchanged until <see cref="Backward"/>.</param>
    /// <param name="training">True in training (batch statistics, dropout); false at inference.</param>
    public abstract Matrix Forward(Matrix input, bool training);

    /// <summary>
    /// Back-propagates: writes (overwrites, not accumulates) the parameter gradients and returns dLoss/dInput.
    /// </summary>
    /// <param name="outputGradient">dLoss/dOutput, rows × OutputSize. The layer may overwrite it.</param>
    /// <param name="needInputGradient">False for the first layer: dLoss/dInput is then skipped and null returned.</param>
    public abstract Matrix? Backward(Matrix outputGradient, bool needInputGradient = true);
}
