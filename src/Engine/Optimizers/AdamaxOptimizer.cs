using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// Adamax (torch.optim.Adamax): g += wd·p; m = β1·m + (1 − β1)·g; u = max(β2·u, |g| + ε);
/// p −= lr/(1 − β1ᵗ)·m/u.
/// </summary>
public sealed class AdamaxOptimizer : Optimizer
{
    /// <summary>Creates the rule; see <see cref="Optimizer.Adamax"/>.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="beta1">β1.</param>
    /// <param name="beta2">β2.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    public AdamaxOptimizer(double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.InRange(beta1, 0, 1, nameof(beta1), upperInclusive: false);
        OptimizerChecks.InRange(beta2, 0, 1, nameof(beta2), upperInclusive: false);
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>β1.</summary>
    public double Beta1 { get; }

    /// <summary>β2.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adamax";

    /// <inheritdoc />
    protected internal override int SlotCount => 2;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new AdamaxOptimizer(learningRate, Beta1, Beta2, Epsilon, WeightDecay);

    /// <inheritdoc />
    protected internal override unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        fixed (float* pv = value, pg = gradient, pm = slots.Buffers[0], pu = slots.Buffers[1])
        {
            var rule = new Engine.OptimizerKernels.Adamax
            {
                Value = pv, Grad = pg, M = pm, U = pu,
                Clr = (float)(learningRate / (1 - Math.Pow(Beta1, step))),
                B1w = (float)(1 - Beta1), B2 = (float)Beta2, Eps = (float)Epsilon, Wd = (float)WeightDecay,
                Width = Engine.OptimizerKernels.DefaultWidth,
            };
            Engine.OptimizerKernels.Execute(rule, value.Length);
        }
    }
}
