using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// Adagrad (torch.optim.Adagrad): g += wd·p; clr = lr/(1 + (t − 1)·lr_decay); Σ += g²;
/// p −= clr·g/(√Σ + ε). Σ starts at <see cref="InitialAccumulatorValue"/>.
/// </summary>
public sealed class AdagradOptimizer : Optimizer
{
    /// <summary>Creates the rule; see <see cref="Optimizer.Adagrad"/>.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="learningRateDecay">lr_decay.</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    /// <param name="initialAccumulatorValue">Initial Σg².</param>
    /// <param name="epsilon">ε.</param>
    public AdagradOptimizer(double learningRate, double learningRateDecay, double weightDecay, double initialAccumulatorValue, double epsilon)
        : base(learningRate, weightDecay)
    {
        OptimizerChecks.NonNegative(learningRateDecay, nameof(learningRateDecay));
        OptimizerChecks.NonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        LearningRateDecay = learningRateDecay;
        InitialAccumulatorValue = initialAccumulatorValue;
        Epsilon = epsilon;
    }

    /// <summary>lr_decay.</summary>
    public double LearningRateDecay { get; }

    /// <summary>Initial value of the squared-gradient sum.</summary>
    public double InitialAccumulatorValue { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adagrad";

    /// <inheritdoc />
    protected internal override int SlotCount => 1;

    /// <inheritdoc />
    public override Optimizer WithLearningRate(double learningRate) => new AdagradOptimizer(learningRate, LearningRateDecay, WeightDecay, InitialAccumulatorValue, Epsilon);

    /// <inheritdoc />
    protected internal override void InitializeSlots(OptimizerSlots slots) => Array.Fill(slots.Buffers[0], (float)InitialAccumulatorValue);

    /// <inheritdoc />
    protected internal override unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step)
    {
        fixed (float* pv = value, pg = gradient, ps = slots.Buffers[0])
        {
            var rule = new Engine.OptimizerKernels.Adagrad
            {
                Value = pv, Grad = pg, Sum = ps,
                Clr = (float)(learningRate / (1 + (step - 1) * LearningRateDecay)),
                Wd = (float)WeightDecay, Eps = (float)Epsilon,
                Width = Engine.OptimizerKernels.DefaultWidth,
            };
            Engine.OptimizerKernels.Execute(rule, value.Length);
        }
    }
}
