using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// NAdam (torch.optim.NAdam): g += wd·p; μₜ = β1·(1 − ½·0.96^(t·ψ)); μₜ₊₁ likewise; Πμ ·= μₜ;
/// m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; d = √(v/(1 − β2ᵗ)) + ε;
/// p −= lr·(1 − μₜ)/(1 − Πμ)·g/d + lr·μₜ₊₁/(1 − Πμ·μₜ₊₁)·m/d.
/// </summary>
public sealed class NadamOptimizer : Optimizer
{
    /// <summary>Creates the rule; see <see cref="Optimizer.Nadam"/>.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="beta1">β1.</param>
    /// <param name="beta2">β2.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    /// <param name="momentumDecay">ψ, PyTorch's momentum_decay.</param>
    public NadamOptimizer(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, double momentumDecay)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.InRange(beta1, 0, 1, nameof(beta1), upperInclusive: false);
        OptimizerChecks.InRange(beta2, 0, 1, nameof(beta2), upperInclusive: false);
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        OptimizerChecks.NonNegative(momentumDecay, nameof(momentumDecay));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        MomentumDecay = momentumDecay;
    }

    /// <summary>β1.</summary>
    public double Beta1 { get; }

    /// <summary>β2.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>ψ, the momentum decay.</summary>
    public double MomentumDecay { get; }

    /// <inheritdoc />
    public override string Name => "nadam";

    /// <inheritdoc />
    protected internal override int SlotCount => 2;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new NadamOptimizer(learningRate, Beta1, Beta2, Epsilon, WeightDecay, MomentumDecay);

    /// <inheritdoc />
    protected internal override void InitializeSlots(OptimizerSlots slots) => slots.Scalar = 1.0;

    /// <inheritdoc />
    protected internal override unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        double mu = Beta1 * (1 - 0.5 * Math.Pow(0.96, step * MomentumDecay));
        double muNext = Beta1 * (1 - 0.5 * Math.Pow(0.96, (step + 1) * MomentumDecay));
        // PyTorch keeps the product of μ in a float32 tensor; round it the same way.
        double muProduct = (float)(slots.Scalar * mu);
        slots.Scalar = muProduct;
        float gradScale = (float)(learningRate * (1 - mu) / (1 - muProduct));
        float momentScale = (float)(learningRate * muNext / (1 - muProduct * muNext));
        float bc2 = (float)(1 - Math.Pow(Beta2, step));
        fixed (float* pv = value, pg = gradient, pm = slots.Buffers[0], pvv = slots.Buffers[1])
        {
            var rule = new Engine.OptimizerKernels.Nadam
            {
                Value = pv, Grad = pg, M = pm, V = pvv,
                GradScale = gradScale, MomentScale = momentScale, Bc2 = bc2,
                B1w = (float)(1 - Beta1), B2 = (float)Beta2, B2w = (float)(1 - Beta2), Eps = (float)Epsilon, Wd = (float)WeightDecay,
                Width = Engine.OptimizerKernels.DefaultWidth,
            };
            Engine.OptimizerKernels.Execute(rule, value.Length);
        }
    }
}
