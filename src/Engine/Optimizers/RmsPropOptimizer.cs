using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// RMSProp (torch.optim.RMSprop): g += wd·p; sq = α·sq + (1 − α)·g²; centred: ga = α·ga + (1 − α)·g,
/// avg = √(sq − ga²) + ε, else avg = √sq + ε; with momentum buf = μ·buf + g/avg, p −= lr·buf,
/// else p −= lr·g/avg.
/// </summary>
public sealed class RmsPropOptimizer : Optimizer
{
    /// <summary>Creates the rule; see <see cref="Optimizer.RmsProp"/>.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="alpha">Smoothing constant α.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    /// <param name="momentum">Momentum factor μ.</param>
    /// <param name="centered">Centred variant.</param>
    public RmsPropOptimizer(double learningRate, double alpha, double epsilon, double weightDecay, double momentum, bool centered)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.InRange(alpha, 0, 1, nameof(alpha));
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        OptimizerChecks.InRange(momentum, 0, 1, nameof(momentum), upperInclusive: false);
        Alpha = alpha;
        Epsilon = epsilon;
        MomentumFactor = momentum;
        Centered = centered;
    }

    /// <summary>Smoothing constant α.</summary>
    public double Alpha { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>Momentum factor μ (0 = none). The factory with the same meaning is <see cref="Optimizer.Momentum"/>.</summary>
    public double MomentumFactor { get; }

    /// <summary>True for the centred variant.</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    public override string Name => "rmsprop";

    /// <inheritdoc />
    protected internal override int SlotCount => 3;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new RmsPropOptimizer(learningRate, Alpha, Epsilon, WeightDecay, MomentumFactor, Centered);

    /// <inheritdoc />
    protected internal override unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        fixed (float* pv = value, pg = gradient, ps = slots.Buffers[0], pa = slots.Buffers[1], pb = slots.Buffers[2])
        {
            var rule = new Engine.OptimizerKernels.RmsProp
            {
                Value = pv, Grad = pg, Sq = ps, GAvg = pa, Buf = pb,
                Lr = (float)learningRate, Wd = (float)WeightDecay, A = (float)Alpha, OneMinusA = (float)(1 - Alpha),
                Eps = (float)Epsilon, Mu = (float)MomentumFactor, Centered = Centered,
                Width = Engine.OptimizerKernels.DefaultWidth,
            };
            Engine.OptimizerKernels.Execute(rule, value.Length);
        }
    }
}
