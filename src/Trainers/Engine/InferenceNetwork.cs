namespace MLNetBackprop.Engine;

/// <summary>
/// A trained <see cref="Network"/> compiled for scoring: each hidden block is one affine map with
/// inference-mode BatchNorm folded into its weights (W′ = W·diag(s), b′ = (b − μ)·s + β, s = γ/√(σ² + ε)),
/// followed by the activation; dropout is the identity. Weights are read-only and shared, so one
/// instance serves any number of threads; each caller brings its own <see cref="Scratch"/>.
/// </summary>
public sealed class InferenceNetwork
{
    private readonly Block[] _blocks;

    /// <summary>One affine map + activation; W is stored inputs × Stride with zero padding columns
    /// (Stride = Outputs rounded up to a whole Vector512), b is Stride long.</summary>
    private sealed record Block(float[] Weight, float[] Bias, int Inputs, int Outputs, int Stride, Activation? Activation, float LeakySlope)
    {
        /// <summary>ReLU, leaky ReLU and identity are applied inside the product, before the store.</summary>
        public bool Fused => Activation is null or MLNetBackprop.Activation.Relu or MLNetBackprop.Activation.LeakyRelu or MLNetBackprop.Activation.Identity;
    }

    private static Block Pad(float[] w, float[] b, int inputs, int outputs, Activation? activation, float slope)
    {
        int stride = Kernels.PaddedColumns(outputs);
        var pw = new float[inputs * stride];
        var pb = new float[stride];
        for (int i = 0; i < inputs; i++) w.AsSpan(i * outputs, outputs).CopyTo(pw.AsSpan(i * stride));
        b.AsSpan(0, outputs).CopyTo(pb);
        return new Block(pw, pb, inputs, outputs, stride, activation, slope);
    }

    /// <summary>Compiles <paramref name="network"/> (a snapshot: later training does not change it).</summary>
    /// <param name="network">The trained network.</param>
    public InferenceNetwork(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var blocks = new List<Block>();
        var layers = network.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not Dense dense) continue;
            float[] w = (float[])dense.Weight.Value.Clone();
            float[] b = (float[])dense.Bias.Value.Clone();
            int inputs = dense.InputSize, outputs = dense.OutputSize;
            Activation? activation = null;
            for (int j = i + 1; j < layers.Count && layers[j] is not Dense; j++)
            {
                switch (layers[j])
                {
                    case BatchNormLayer bn:
                        FoldBatchNorm(bn, w, b, inputs, outputs);
                        break;
                    case DropoutLayer:
                        break;
                    default:
                        activation = ((ActivationLayer)layers[j]).Function;
                        break;
                }
            }
            blocks.Add(Pad(w, b, inputs, outputs, activation, network.Spec.LeakySlope));
        }
        _blocks = [.. blocks];
        InputSize = network.InputSize;
        OutputSize = network.OutputSize;
        Link = network.Spec.Loss;
        MaxWidth = _blocks.Max(bl => bl.Stride);
    }

    /// <summary>Number of input features.</summary>
    public int InputSize { get; }

    /// <summary>Number of outputs.</summary>
    public int OutputSize { get; }

    /// <summary>The loss whose link (softmax, sigmoid or identity) <see cref="Predict"/> applies.</summary>
    public LossKind Link { get; }

    private int MaxWidth { get; }

    /// <summary>Per-caller work buffers; not shared between threads.</summary>
    public sealed class Scratch
    {
        internal Scratch(int width)
        {
            A = new float[width];
            B = new float[width];
        }

        internal float[] A { get; }

        internal float[] B { get; }
    }

    /// <summary>Creates work buffers for one caller (one cursor, one thread).</summary>
    public Scratch CreateScratch() => new(MaxWidth);

    /// <summary>Raw outputs (logits) of one row.</summary>
    /// <param name="features">InputSize values.</param>
    /// <param name="output">Receives OutputSize values.</param>
    /// <param name="scratch">This caller's buffers.</param>
    public void Forward(ReadOnlySpan<float> features, Span<float> output, Scratch scratch)
    {
        if (features.Length != InputSize) throw new ArgumentException($"Expected {InputSize} features; got {features.Length}.", nameof(features));
        ReadOnlySpan<float> x = features;
        float[] next = scratch.A;
        for (int bi = 0; bi < _blocks.Length; bi++)
        {
            var block = _blocks[bi];
            // One pass: bias + x·W + (ReLU / leaky ReLU) in registers, into the padded scratch row.
            var y = next.AsSpan(0, block.Stride);
            var fused = block.Fused ? block.Activation ?? Activation.Identity : Activation.Identity;
            Kernels.RowTimesPaddedMatrix(x, block.Weight, block.Bias, y, block.Stride, fused, block.LeakySlope);
            y = y[..block.Outputs];
            if (!block.Fused) Kernels.ActivateInPlace(block.Activation!.Value, y, block.LeakySlope);
            x = y;
            next = next == scratch.A ? scratch.B : scratch.A;
        }
        x.CopyTo(output);
    }

    /// <summary>Outputs of one row after the link: class probabilities (softmax), a probability (sigmoid), or values.</summary>
    /// <param name="features">InputSize values.</param>
    /// <param name="output">Receives OutputSize values.</param>
    /// <param name="scratch">This caller's buffers.</param>
    public void Predict(ReadOnlySpan<float> features, Span<float> output, Scratch scratch)
    {
        Forward(features, output, scratch);
        switch (Link)
        {
            case LossKind.SoftmaxCrossEntropy: Kernels.SoftmaxInPlace(output[..OutputSize]); break;
            case LossKind.SigmoidCrossEntropy: Kernels.SigmoidInPlace(output[..OutputSize]); break;
        }
    }

    private static void FoldBatchNorm(BatchNormLayer bn, float[] w, float[] b, int inputs, int outputs)
    {
        for (int j = 0; j < outputs; j++)
        {
            double scale = bn.Gamma.Value[j] / Math.Sqrt(bn.RunningVariance[j] + (double)bn.Epsilon);
            b[j] = (float)((b[j] - bn.RunningMean[j]) * scale + bn.Beta.Value[j]);
            for (int i = 0; i < inputs; i++) w[i * outputs + j] = (float)(w[i * outputs + j] * scale);
        }
    }
}
