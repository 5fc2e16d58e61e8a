using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// SGD, optionally with momentum, dampening and Nesterov momentum (torch.optim.SGD):
/// g += wd·p; buf = (t = 1 ? g : μ·buf + (1 − dampening)·g); g = nesterov ? g + μ·buf : buf; p −= lr·g.
/// </summary>
public sealed class SgdOptimizer : Optimizer
{
    /// <summary>Creates the rule; see <see cref="Optimizer.Momentum"/> for the meaning of each value.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="momentum">Momentum factor μ (0 = plain SGD).</param>
    /// <param name="dampening">Dampening of new gradients in the momentum buffer.</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and dampening 0, as in PyTorch).</param>
    public SgdOptimizer(double learningRate, double momentum, double dampening, double weightDecay, bool nesterov)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.InRange(momentum, 0, 1, nameof(momentum), upperInclusive: false);
        OptimizerChecks.InRange(dampening, 0, 1, nameof(dampening));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentOutOfRangeException(nameof(nesterov), "Nesterov momentum requires a momentum > 0 and zero dampening.");
        MomentumFactor = momentum;
        Dampening = dampening;
        IsNesterov = nesterov;
    }

    /// <summary>Momentum factor μ (0 = none). The factory with the same meaning is <see cref="Optimizer.Momentum"/>.</summary>
    public double MomentumFactor { get; }

    /// <summary>Dampening.</summary>
    public double Dampening { get; }

    /// <summary>True for Nesterov momentum.</summary>
    public bool IsNesterov { get; }

    /// <inheritdoc />
    public override string Name => IsNesterov ? "nesterov" : MomentumFactor != 0 ? "momentum" : "sgd";

    /// <inheritdoc />
    protected internal override int SlotCount => MomentumFactor != 0 ? 1 : 0;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new SgdOptimizer(learningRate, MomentumFactor, Dampening, WeightDecay, IsNesterov);

    /// <inheritdoc />
    protected internal override unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        float[]? buf = MomentumFactor != 0 ? slots.Buffers[0] : null;
        fixed (float* pv = value, pg = gradient, pb = buf)
        {
            var rule = new Engine.OptimizerKernels.Sgd
            {
                Value = pv, Grad = pg, Buf = pb,
                Lr = (float)learningRate, Wd = (float)WeightDecay, Mu = (float)MomentumFactor, Keep = (float)(1 - Dampening),
                First = step == 1, Nesterov = IsNesterov,
                Width = Engine.OptimizerKernels.DefaultWidth,
            };
            Engine.OptimizerKernels.Execute(rule, value.Length);
        }
    }
}
