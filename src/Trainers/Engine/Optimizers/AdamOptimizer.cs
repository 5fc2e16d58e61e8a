namespace MLNetBackprop;

/// <summary>
/// Adam and AdamW (torch.optim.Adam / AdamW). Adam: g += wd·p; AdamW: p ·= (1 − lr·wd) first.
/// Then m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; (AMSGrad: v̂ = max(v̂, v));
/// p −= lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε).
/// </summary>
public sealed class AdamOptimizer : Optimizer
{
    /// <summary>Creates the rule; see <see cref="Optimizer.Adam"/> and <see cref="Optimizer.AdamW"/>.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="beta1">β1.</param>
    /// <param name="beta2">β2.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Weight decay (coupled for Adam, decoupled for AdamW).</param>
    /// <param name="amsgrad">AMSGrad variant.</param>
    /// <param name="decoupled">True for AdamW.</param>
    public AdamOptimizer(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool amsgrad, bool decoupled)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.InRange(beta1, 0, 1, nameof(beta1), upperInclusive: false);
        OptimizerChecks.InRange(beta2, 0, 1, nameof(beta2), upperInclusive: false);
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        AmsGrad = amsgrad;
        Decoupled = decoupled;
    }

    /// <summary>β1.</summary>
    public double Beta1 { get; }

    /// <summary>β2.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>True for AMSGrad.</summary>
    public bool AmsGrad { get; }

    /// <summary>True for AdamW (decoupled weight decay).</summary>
    public bool Decoupled { get; }

    /// <inheritdoc />
    public override string Name => Decoupled ? "adamw" : "adam";

    /// <inheritdoc />
    protected internal override int SlotCount => AmsGrad ? 3 : 2;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new AdamOptimizer(learningRate, Beta1, Beta2, Epsilon, WeightDecay, AmsGrad, Decoupled);

    /// <inheritdoc />
    protected internal override void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        float[] m = slots.Buffers[0], v = slots.Buffers[1];
        float[]? vMax = AmsGrad ? slots.Buffers[2] : null;
        float b1w = (float)(1 - Beta1), b2 = (float)Beta2, b2w = (float)(1 - Beta2), eps = (float)Epsilon;
        float stepSize = (float)(learningRate / (1 - Math.Pow(Beta1, step)));
        float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, step));
        float decay = Decoupled ? (float)(1 - learningRate * WeightDecay) : 1f;
        float wd = Decoupled ? 0f : (float)WeightDecay;
        for (int i = 0; i < value.Length; i++)
        {
            float p = value[i];
            if (Decoupled) p *= decay;
            float g = gradient[i];
            if (wd != 0) g += wd * p;
            float mi = m[i] + b1w * (g - m[i]); // lerp, as torch does it
            float vi = v[i] * b2 + b2w * (g * g);
            m[i] = mi;
            v[i] = vi;
            if (vMax is not null) vi = vMax[i] = MathF.Max(vMax[i], vi);
            float denom = MathF.Sqrt(vi) / bc2Sqrt + eps;
            value[i] = p - stepSize * (mi / denom);
        }
    }
}
