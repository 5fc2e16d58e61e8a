using System.Collections.Frozen;

namespace MLNetBackprop;

/// <summary>
/// An optimizer: an immutable description of an update rule and its hyper-parameters, with
/// PyTorch's semantics and defaults. Create one with a factory (<see cref="Adam"/>, <see cref="Sgd"/>, …)
/// or by name (<c>"adam"</c>; a string converts implicitly). The per-parameter state of a training
/// run lives in an <see cref="Engine.OptimizerState"/> made by <see cref="CreateState"/>, so one
/// <see cref="Optimizer"/> can be shared by many runs (cross-validation, search trials).
/// </summary>
public abstract class Optimizer
{
    /// <summary>Initialises the shared hyper-parameters.</summary>
    /// <param name="learningRate">Base learning rate (schedules scale it).</param>
    /// <param name="weightDecay">PyTorch's <c>weight_decay</c> (coupled L2 added to the gradient, decoupled in AdamW).</param>
    protected Optimizer(double learningRate, double weightDecay)
    {
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a finite number ≥ 0.");
        if (!(weightDecay >= 0) || double.IsInfinity(weightDecay))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be a finite number ≥ 0.");
        LearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    /// <summary>The base learning rate.</summary>
    public double LearningRate { get; }

    /// <summary>PyTorch's <c>weight_decay</c> for this rule (0 = none).</summary>
    public double WeightDecay { get; }

    /// <summary>The rule's name as accepted by <see cref="FromName"/>, e.g. <c>"adam"</c>.</summary>
    public abstract string Name { get; }

    /// <summary>How many state buffers (each as long as the parameter) the rule keeps per parameter.</summary>
    protected internal abstract int SlotCount { get; }

    /// <summary>Returns a copy of this optimizer with another base learning rate.</summary>
    /// <param name="learningRate">The new learning rate.</param>
    public abstract Optimizer WithLearningRate(double learningRate);

    /// <summary>
    /// Applies one update to a parameter, in place, exactly as PyTorch's rule does.
    /// </summary>
    /// <param name="value">The parameter values, updated in place.</param>
    /// <param name="gradient">The gradient (not modified).</param>
    /// <param name="slots">This parameter's state buffers (zero-filled at the start) and scalar state.</param>
    /// <param name="learningRate">The learning rate for this step (after any schedule).</param>
    /// <param name="step">1 for the first step, then 2, 3, …</param>
    protected internal abstract void Update(Span<float> value, ReadOnlySpan<float> gradient, OptimizerSlots slots, double learningRate, long step);

    /// <summary>Called once when the slots of a parameter are created, to set non-zero initial state.</summary>
    /// <param name="slots">The new, zero-filled slots.</param>
    protected internal virtual void InitializeSlots(OptimizerSlots slots) { }

    /// <summary>Creates the state for one training run over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to update, in a fixed order.</param>
    public Engine.OptimizerState CreateState(IReadOnlyList<Engine.Parameter> parameters) => new(this, parameters);

    /// <inheritdoc />
    public override string ToString() => $"{Name}(lr={LearningRate}{(WeightDecay != 0 ? $", weight_decay={WeightDecay}" : "")})";

    // ---- Factories (PyTorch's defaults) -------------------------------------------------------

    /// <summary>Plain stochastic gradient descent: p −= lr·(g + wd·p). PyTorch default lr 1e-3.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    public static Optimizer Sgd(double learningRate = 1e-3, double weightDecay = 0)
        => new SgdOptimizer(learningRate, momentum: 0, dampening: 0, weightDecay, nesterov: false);

    /// <summary>SGD with (heavy-ball) momentum, PyTorch's formulation: buf = μ·buf + (1 − dampening)·g; p −= lr·buf.</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="momentum">Momentum factor μ (default 0.9).</param>
    /// <param name="dampening">Dampening of the new gradient in the buffer (default 0).</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    public static Optimizer Momentum(double learningRate = 1e-3, double momentum = 0.9, double dampening = 0, double weightDecay = 0)
        => new SgdOptimizer(learningRate, momentum, dampening, weightDecay, nesterov: false);

    /// <summary>SGD with Nesterov momentum, PyTorch's formulation: p −= lr·(g + μ·buf).</summary>
    /// <param name="learningRate">Learning rate.</param>
    /// <param name="momentum">Momentum factor μ (default 0.9; must be &gt; 0).</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    public static Optimizer Nesterov(double learningRate = 1e-3, double momentum = 0.9, double weightDecay = 0)
        => new SgdOptimizer(learningRate, momentum, dampening: 0, weightDecay, nesterov: true);

    /// <summary>Adagrad: per-parameter rate lr/(1+(t−1)·lrDecay)/(√Σg² + ε).</summary>
    /// <param name="learningRate">Learning rate (default 0.01).</param>
    /// <param name="learningRateDecay">PyTorch's <c>lr_decay</c> (default 0).</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    /// <param name="initialAccumulatorValue">Starting value of Σg² (default 0).</param>
    /// <param name="epsilon">ε (default 1e-10).</param>
    public static Optimizer Adagrad(double learningRate = 0.01, double learningRateDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double epsilon = 1e-10)
        => new AdagradOptimizer(learningRate, learningRateDecay, weightDecay, initialAccumulatorValue, epsilon);

    /// <summary>RMSProp, PyTorch's formulation (ε outside the square root; optional momentum and centring).</summary>
    /// <param name="learningRate">Learning rate (default 0.01).</param>
    /// <param name="alpha">Smoothing constant (default 0.99).</param>
    /// <param name="epsilon">ε (default 1e-8).</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    /// <param name="momentum">Momentum (default 0).</param>
    /// <param name="centered">Normalise by the estimated variance instead of the raw second moment.</param>
    public static Optimizer RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        => new RmsPropOptimizer(learningRate, alpha, epsilon, weightDecay, momentum, centered);

    /// <summary>Adam with bias correction (ε added after correcting the second moment), optional AMSGrad.</summary>
    /// <param name="learningRate">Learning rate (default 1e-3).</param>
    /// <param name="beta1">First-moment decay (default 0.9).</param>
    /// <param name="beta2">Second-moment decay (default 0.999).</param>
    /// <param name="epsilon">ε (default 1e-8).</param>
    /// <param name="weightDecay">Coupled weight decay (added to the gradient, so it feeds the moments).</param>
    /// <param name="amsgrad">Use the running maximum of the second moment.</param>
    public static Optimizer Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false)
        => new AdamOptimizer(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupled: false);

    /// <summary>AdamW: Adam with decoupled weight decay, p ← p·(1 − lr·wd) before the Adam step.</summary>
    /// <param name="learningRate">Learning rate (default 1e-3).</param>
    /// <param name="beta1">First-moment decay (default 0.9).</param>
    /// <param name="beta2">Second-moment decay (default 0.999).</param>
    /// <param name="epsilon">ε (default 1e-8).</param>
    /// <param name="weightDecay">Decoupled weight decay (default 0.01, as PyTorch).</param>
    /// <param name="amsgrad">Use the running maximum of the second moment.</param>
    public static Optimizer AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
        => new AdamOptimizer(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupled: true);

    /// <summary>AdaDelta: unit-corrected steps from running averages of g² and Δ².</summary>
    /// <param name="learningRate">Scale applied to the delta (default 1.0).</param>
    /// <param name="rho">Decay of the running averages (default 0.9).</param>
    /// <param name="epsilon">ε (default 1e-6).</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    public static Optimizer AdaDelta(double learningRate = 1.0, double rho = 0.9, double epsilon = 1e-6, double weightDecay = 0)
        => new AdaDeltaOptimizer(learningRate, rho, epsilon, weightDecay);

    /// <summary>NAdam: Adam with Nesterov momentum and PyTorch's momentum-decay schedule.</summary>
    /// <param name="learningRate">Learning rate (default 2e-3).</param>
    /// <param name="beta1">First-moment decay (default 0.9).</param>
    /// <param name="beta2">Second-moment decay (default 0.999).</param>
    /// <param name="epsilon">ε (default 1e-8).</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    /// <param name="momentumDecay">PyTorch's <c>momentum_decay</c> (default 4e-3).</param>
    public static Optimizer Nadam(double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        => new NadamOptimizer(learningRate, beta1, beta2, epsilon, weightDecay, momentumDecay);

    /// <summary>Adamax: Adam with the infinity norm, u = max(β2·u, |g| + ε).</summary>
    /// <param name="learningRate">Learning rate (default 2e-3).</param>
    /// <param name="beta1">First-moment decay (default 0.9).</param>
    /// <param name="beta2">Infinity-norm decay (default 0.999).</param>
    /// <param name="epsilon">ε (default 1e-8).</param>
    /// <param name="weightDecay">Coupled weight decay.</param>
    public static Optimizer Adamax(double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        => new AdamaxOptimizer(learningRate, beta1, beta2, epsilon, weightDecay);

    // ---- Names ---------------------------------------------------------------------------------

    private static readonly FrozenDictionary<string, Func<Optimizer>> ByName = new Dictionary<string, Func<Optimizer>>(StringComparer.OrdinalIgnoreCase)
    {
        ["sgd"] = () => Sgd(),
        ["momentum"] = () => Momentum(),
        ["nesterov"] = () => Nesterov(),
        ["adagrad"] = () => Adagrad(),
        ["rmsprop"] = () => RmsProp(),
        ["adam"] = () => Adam(),
        ["adamw"] = () => AdamW(),
        ["adadelta"] = () => AdaDelta(),
        ["nadam"] = () => Nadam(),
        ["adamax"] = () => Adamax(),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The names accepted by <see cref="FromName"/>, in a stable order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta", "nadam", "adamax"];

    /// <summary>Creates an optimizer with its default hyper-parameters from its name, case-insensitive.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the valid ones.</exception>
    public static Optimizer FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (ByName.TryGetValue(name.Trim(), out var make)) return make();
        throw new ArgumentException($"Unknown optimizer '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Converts an optimizer name such as <c>"adam"</c> to the optimizer with default settings.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    public static implicit operator Optimizer(string name) => FromName(name);
}

/// <summary>The state an optimizer keeps for one parameter: buffers as long as the parameter, and one scalar.</summary>
public sealed class OptimizerSlots
{
    /// <summary>Creates zero-filled slots.</summary>
    /// <param name="count">Number of buffers.</param>
    /// <param name="length">Length of each buffer.</param>
    public OptimizerSlots(int count, int length)
    {
        Buffers = new float[count][];
        for (int i = 0; i < count; i++) Buffers[i] = new float[length];
    }

    /// <summary>The state buffers (e.g. Adam's m and v).</summary>
    public float[][] Buffers { get; }

    /// <summary>Scalar state (NAdam's μ product); 0 until the rule sets it.</summary>
    public double Scalar { get; set; }
}
