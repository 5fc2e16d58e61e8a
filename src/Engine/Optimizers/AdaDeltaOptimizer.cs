using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// AdaDelta (torch.optim.Adadelta): g += wd·p; sq = ρ·sq + (1 − ρ)·g²;
/// Δ = √(acc + ε)/√(sq + ε)·g; p −= lr·Δ; acc = ρ·acc + (1 − ρ)·Δ².
/// </summary>
public sealed class AdaDeltaOptimizer : Optimizer
{
    /// <summary>Creates the rule; see <see cref="Optimizer.AdaDelta"/>.</summary>
    /// <param name="learningRate">Scale of Δ.</param>
    /// <param name="rho">ρ.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    public AdaDeltaOptimizer(double learningRate, double rho, double epsilon, double weightDecay)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.InRange(rho, 0, 1, nameof(rho));
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        Rho = rho;
        Epsilon = epsilon;
    }

    /// <summary>ρ.</summary>
    public double Rho { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adadelta";

    /// <inheritdoc />
    protected internal override int SlotCount => 2;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new AdaDeltaOptimizer(learningRate, Rho, Epsilon, WeightDecay);

    /// <inheritdoc />
    protected internal override unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        fixed (float* pv = value, pg = gradient, ps = slots.Buffers[0], pa = slots.Buffers[1])
        {
            var rule = new Engine.OptimizerKernels.AdaDelta
            {
                Value = pv, Grad = pg, Sq = ps, Acc = pa,
                Lr = (float)learningRate, Wd = (float)WeightDecay, Rho = (float)Rho, W = (float)(1 - Rho), Eps = (float)Epsilon,
                Width = Engine.OptimizerKernels.DefaultWidth,
            };
            Engine.OptimizerKernels.Execute(rule, value.Length);
        }
    }
}
