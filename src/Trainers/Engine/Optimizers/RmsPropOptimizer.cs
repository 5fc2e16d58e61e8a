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
    /// <param name="momentum">Momentum μ.</param>
    /// <param name="centered">Centred variant.</param>
    public RmsPropOptimizer(double learningRate, double alpha, double epsilon, double weightDecay, double momentum, bool centered)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.InRange(alpha, 0, 1, nameof(alpha));
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        OptimizerChecks.InRange(momentum, 0, 1, nameof(momentum), upperInclusive: false);
        Alpha = alpha;
        Epsilon = epsilon;
        Momentum = momentum;
        Centered = centered;
    }

    /// <summary>Smoothing constant α.</summary>
    public double Alpha { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>Momentum μ.</summary>
    public new double Momentum { get; }

    /// <summary>True for the centred variant.</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    public override string Name => "rmsprop";

    /// <inheritdoc />
    protected internal override int SlotCount => 3;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new RmsPropOptimizer(learningRate, Alpha, Epsilon, WeightDecay, Momentum, Centered);

    /// <inheritdoc />
    protected internal override void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        float lr = (float)learningRate, wd = (float)WeightDecay, a = (float)Alpha, oneMinusA = (float)(1 - Alpha);
        float eps = (float)Epsilon, mu = (float)Momentum;
        float[] sq = slots.Buffers[0], gAvg = slots.Buffers[1], buf = slots.Buffers[2];
        for (int i = 0; i < value.Length; i++)
        {
            float g = gradient[i];
            if (wd != 0) g += wd * value[i];
            float s = sq[i] * a + oneMinusA * (g * g);
            sq[i] = s;
            float avg;
            if (Centered)
            {
                float ga = gAvg[i] + oneMinusA * (g - gAvg[i]);
                gAvg[i] = ga;
                avg = MathF.Sqrt(s - ga * ga) + eps;
            }
            else avg = MathF.Sqrt(s) + eps;

            if (mu > 0)
            {
                float b = buf[i] * mu + g / avg;
                buf[i] = b;
                value[i] -= lr * b;
            }
            else value[i] -= lr * (g / avg);
        }
    }
}
