using MLNetBackprop.Engine;

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
    protected internal override unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        float[] m = slots.Buffers[0], v = slots.Buffers[1];
        float[]? vMax = AmsGrad ? slots.Buffers[2] : null;
        fixed (float* pv = value, pg = gradient, pm = m, pvv = v, pvm = vMax)
        {
            var rule = new Engine.OptimizerKernels.Adam
            {
                Value = pv, Grad = pg, M = pm, V = pvv, VMax = pvm,
                B1w = (float)(1 - Beta1), B2 = (float)Beta2, B2w = (float)(1 - Beta2), Eps = (float)Epsilon,
                StepSize = (float)(learningRate / (1 - Math.Pow(Beta1, step))),
                Bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, step)),
                Decay = Decoupled ? (float)(1 - learningRate * WeightDecay) : 1f,
                Wd = Decoupled ? 0f : (float)WeightDecay,
                Decoupled = Decoupled,
                Width = Engine.OptimizerKernels.DefaultWidth,
            };
            Engine.OptimizerKernels.Execute(rule, value.Length);
        }
    }
}
