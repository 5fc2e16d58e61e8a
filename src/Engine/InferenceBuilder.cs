namespace MLNetBackprop.Engine;

/// <summary>
/// What a network's layers make of themselves for scoring, in order (<see cref="Layer.CompileForInference"/>): an
/// embedding becomes the row transform in front, a feature scale waits to be folded into the next affine layer, an
/// affine layer opens a block, BatchNorm folds into the open block, an activation ends it, dropout vanishes.
/// <see cref="InferenceNetwork"/> runs the blocks.
/// </summary>
internal sealed class InferenceBuilder
{
    private readonly bool _shareWeights;
    private ScaleLayer? _pendingScale;
    private (float[] W, float[] B, int Inputs, int Outputs, bool OwnsWeights, ActivationLayer? Activation)? _open;

    /// <summary>The layers compiled so far.</summary>
    private int _layersSeen;

    private InferenceBuilder(bool shareWeights) => _shareWeights = shareWeights;

    /// <summary>
    /// Every layer's scoring form, in order. With <paramref name="shareWeights"/> an affine layer's weights that need no
    /// folding are used in place rather than copied.
    /// </summary>
    /// <param name="layers">The network's layers.</param>
    /// <param name="shareWeights">Whether unfolded weights may be shared with the network.</param>
    public static InferenceBuilder Compile(IReadOnlyList<Layer> layers, bool shareWeights)
    {
        var builder = new InferenceBuilder(shareWeights);
        foreach (var layer in layers)
        {
            layer.CompileForInference(builder);
            builder._layersSeen++;
        }
        builder.Close();
        return builder;
    }

    /// <summary>The row transform in front of the first block, if any.</summary>
    public PeriodicEmbeddingLayer? Embedding { get; private set; }

    /// <summary>The closed blocks: folded weights (inputs × outputs), bias, sizes and activation (the layer: it scores itself).</summary>
    public List<(float[] W, float[] B, int Inputs, int Outputs, ActivationLayer? Activation)> Blocks { get; } = [];

    /// <summary>The embedding: scored as a frozen row transform; only as the first layer.</summary>
    public void SetEmbedding(PeriodicEmbeddingLayer snapshot)
    {
        if (_layersSeen != 0) throw new InvalidOperationException("A periodic embedding is only scored as the network's first layer.");
        Embedding = snapshot;
    }

    /// <summary>A per-feature scale, folded into the next affine layer's weights.</summary>
    public void ScaleNextInputs(ScaleLayer scale) => _pendingScale = scale;

    /// <summary>Opens a block for an affine layer (closing the previous one), with a pending input scale and its weight factor folded in.</summary>
    public void OpenBlock(Dense dense)
    {
        Close();
        var (w, owns) = FoldedWeights(dense, _pendingScale, copy: !_shareWeights);
        _pendingScale = null;
        _open = (w, (float[])dense.Bias.Value.Clone(), dense.InputSize, dense.OutputSize, owns, null);
    }

    /// <summary>
    /// Inference-mode BatchNorm after the open block's affine map, folded into it: W′ = W·diag(s), b′ = (b − μ)·s + β,
    /// s = γ/√(σ² + ε). Ignored before the first affine layer.
    /// </summary>
    public void FoldBatchNorm(BatchNormLayer bn)
    {
        if (_open is not { } o) return;
        float[] w = o.OwnsWeights ? o.W : (float[])o.W.Clone(); // never fold into the network's own weights
        for (int j = 0; j < o.Outputs; j++)
        {
            double scale = BatchNormLayer.InferenceScale(bn.Gamma.Value[j], bn.RunningVariance[j], bn.Epsilon);
            o.B[j] = (float)((o.B[j] - bn.RunningMean[j]) * scale + bn.Beta.Value[j]);
            for (int i = 0; i < o.Inputs; i++) w[i * o.Outputs + j] = (float)(w[i * o.Outputs + j] * scale);
        }
        _open = o with { W = w, OwnsWeights = true };
    }

    /// <summary>The open block's activation (the last one given wins). Ignored before the first affine layer.</summary>
    public void Activate(ActivationLayer activation)
    {
        if (_open is { } o) _open = o with { Activation = activation };
    }

    /// <summary>Closes the open block, if any.</summary>
    private void Close()
    {
        if (_open is { } o) Blocks.Add((o.W, o.B, o.Inputs, o.Outputs, o.Activation));
        _open = null;
    }

    /// <summary>W·c with the pending input scale s folded in (W′ = diag(s)·c·W), or the layer's own array when nothing folds and sharing is allowed.</summary>
    private static (float[] W, bool Owns) FoldedWeights(Dense dense, ScaleLayer? inputScale, bool copy)
    {
        if (dense.WeightFactor == 1f && inputScale is null && !copy) return (dense.Weight.Value, false);
        float[] w = (float[])dense.Weight.Value.Clone();
        if (dense.WeightFactor == 1f && inputScale is null) return (w, true);
        int inputs = dense.InputSize, outputs = dense.OutputSize;
        if (inputScale is not null && inputScale.Width != inputs)
            throw new InvalidOperationException($"The input scale has {inputScale.Width} values; the affine layer after it has {inputs} inputs.");
        for (int i = 0; i < inputs; i++)
        {
            double f = dense.WeightFactor * (double)(inputScale?.Scale.Value[i] ?? 1f);
            for (int j = 0; j < outputs; j++) w[i * outputs + j] = (float)(w[i * outputs + j] * f);
        }
        return (w, true);
    }
}
