namespace MLNetBackprop.Engine;

/// <summary>ELU: x for x &gt; 0, α·(eˣ − 1) otherwise; the derivative for x ≤ 0 is α·eˣ (torch's branch).</summary>
public sealed class EluLayer : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="width">Number of units.</param>
    /// <param name="alpha">α (torch's default 1).</param>
    public EluLayer(int width, float alpha = 1f) : base(width)
    {
        if (!float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be finite.");
        Alpha = alpha;
    }

    /// <summary>α, the negative saturation value.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    public override Activation Function => Activation.Elu;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => Kernels.EluForward(x, Alpha, y);

    /// <inheritdoc />
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Kernels.EluBackward(x, dy, Alpha, dx);
}
