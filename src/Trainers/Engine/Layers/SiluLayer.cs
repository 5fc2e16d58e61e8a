namespace MLNetBackprop.Engine;

/// <summary>SiLU (swish) x·σ(x).</summary>
public sealed class SiluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    public SiluLayer(int width) : base(width) { }

    /// <inheritdoc />
    public override Activation Function => Activation.Silu;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.SiluForward(x, y);

    /// <inheritdoc />
    /// <summary>
    /// Scoring has always computed x·1/(1 + e⁻ˣ) one value at a time with <see cref="MathF.Exp"/> (not the vectorised
    /// sigmoid training uses): kept, so models saved by earlier releases serve the same scores bit for bit.
    /// </summary>
    /// <param name="values">Pre-activations in, activations out.</param>
    internal override void ScoreInPlace(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] *= 1f / (1f + MathF.Exp(-values[i]));
    }

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.SiluBackward(x, dy, dx);
}
