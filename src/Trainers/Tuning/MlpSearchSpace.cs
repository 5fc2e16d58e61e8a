using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// What a hyper-parameter search may try: log-uniform ranges for the learning rate and the L2 penalty,
/// and lists to choose from for the architecture, activation, optimizer, dropout, batch norm, batch size and numeric
/// embedding. A <c>null</c> or empty entry is not searched: every trial keeps the base options' value. The defaults suit
/// the tabular recipe (<see cref="MlpPreset.Tabular"/>).
/// </summary>
public sealed class MlpSearchSpace
{
    /// <summary>
    /// The optimizer's learning rate, log-uniform (default <see cref="LogRange.AroundBase"/>(8, 4): the base optimizer's rate
    /// ÷ 8 … × 4, which fits either parametrisation). Null = keep the base optimizer's rate.
    /// </summary>
    public LogRange? LearningRate { get; set; } = LogRange.AroundBase(8, 4);

    /// <summary>The L2 penalty λ, log-uniform (default 1e-6 … 1e-2). Null = keep the base options' L2.</summary>
    public LogRange? L2 { get; set; } = new(1e-6, 1e-2);

    /// <summary>Also try no L2 at all: when true (the default), a quarter of the sampled trials use L2 = 0.</summary>
    public bool IncludeZeroL2 { get; set; } = true;

    /// <summary>Hidden-layer shapes to choose from (default [64, 64], [128, 128], [256, 256], [128, 128, 128]).</summary>
    public IReadOnlyList<int[]>? HiddenLayers { get; set; } = [[64, 64], [128, 128], [256, 256], [128, 128, 128]];

    /// <summary>Hidden activations to choose from (default SELU, Mish, ReLU, GELU).</summary>
    public IReadOnlyList<Activation>? Activations { get; set; } = [Activation.Selu, Activation.Mish, Activation.Relu, Activation.Gelu];

    /// <summary>
    /// Optimizer names (see <see cref="Optimizer.Names"/>) to choose from (default adam, adamw, nadam).
    /// Each gets the sampled learning rate; when the name is the base optimizer's, the base optimizer's other settings are kept.
    /// </summary>
    public IReadOnlyList<string>? Optimizers { get; set; } = ["adam", "adamw", "nadam"];

    /// <summary>Dropout rates to choose from (default 0, 0.1, 0.2).</summary>
    public IReadOnlyList<float>? Dropouts { get; set; } = [0f, 0.1f, 0.2f];

    /// <summary>Batch normalisation on/off choices (default null: keep the base options' choice).</summary>
    public IReadOnlyList<bool>? BatchNorm { get; set; }

    /// <summary>Mini-batch sizes to choose from (default 128, 256, 512).</summary>
    public IReadOnlyList<int>? BatchSizes { get; set; } = [128, 256, 512];

    /// <summary>Numeric-feature encodings to choose from (default None, Periodic).</summary>
    public IReadOnlyList<NumericEmbedding>? NumericEmbeddings { get; set; } = [NumericEmbedding.None, NumericEmbedding.Periodic];

    /// <summary>Checks every range and choice, naming the first one that is invalid.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A range or a choice is invalid.</exception>
    public void Validate()
    {
        LearningRate?.Validate(nameof(LearningRate));
        L2?.Validate(nameof(L2));
        if (HiddenLayers is not null)
            foreach (var shape in HiddenLayers)
                if (shape is null || shape.Any(w => w < 1)) throw new ArgumentOutOfRangeException(nameof(HiddenLayers), shape is null ? "null" : Shape(shape), "Every hidden-layer shape must be non-null with widths ≥ 1 (an empty array is a linear model).");
        if (Activations is not null)
            foreach (var a in Activations)
                if (!Enum.IsDefined(a)) throw new ArgumentOutOfRangeException(nameof(Activations), a, "Unknown activation.");
        if (Optimizers is not null)
            foreach (var name in Optimizers)
                if (name is null || !Optimizer.Names.Contains(name.Trim(), StringComparer.OrdinalIgnoreCase))
                    throw new ArgumentOutOfRangeException(nameof(Optimizers), name, $"Unknown optimizer name. Valid names: {string.Join(", ", Optimizer.Names)}.");
        if (Dropouts is not null)
            foreach (float d in Dropouts)
                if (!(d >= 0 && d < 1)) throw new ArgumentOutOfRangeException(nameof(Dropouts), d, "Every dropout rate must be in [0, 1).");
        if (BatchSizes is not null)
            foreach (int b in BatchSizes)
                if (b < 1) throw new ArgumentOutOfRangeException(nameof(BatchSizes), b, "Every batch size must be ≥ 1.");
        if (NumericEmbeddings is not null)
            foreach (var e in NumericEmbeddings)
                if (!Enum.IsDefined(e)) throw new ArgumentOutOfRangeException(nameof(NumericEmbeddings), e, "Unknown numeric embedding.");
    }

    /// <summary>
    /// A narrower space around the given (good) trials — the "narrow the range and repeat" step: the
    /// ranges shrink to the trials' values widened by <paramref name="widen"/> on each side (on the log
    /// scale), and each choice list keeps only the values the trials used. Dimensions not searched here stay unsearched.
    /// </summary>
    /// <param name="trials">The configurations to narrow around, e.g. the top of a leaderboard.</param>
    /// <param name="widen">Factor the range is widened by at each end (default 2: half the smallest … twice the largest).</param>
    /// <exception cref="ArgumentException">No trials were given.</exception>
    public MlpSearchSpace NarrowAround(IEnumerable<TrialConfiguration> trials, double widen = 2)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var list = trials.ToList();
        if (list.Count == 0) throw new ArgumentException("Narrowing needs at least one trial.", nameof(trials));
        if (!(widen >= 1 && double.IsFinite(widen))) throw new ArgumentOutOfRangeException(nameof(widen), widen, "widen must be a finite number ≥ 1.");
        var nonZeroL2 = list.Where(t => t.L2 > 0).Select(t => (double)t.L2).ToList();
        return new MlpSearchSpace
        {
            LearningRate = LearningRate is null ? null : new LogRange(list.Min(t => t.LearningRate) / widen, list.Max(t => t.LearningRate) * widen),
            L2 = L2 is null || nonZeroL2.Count == 0 ? null : new LogRange(nonZeroL2.Min() / widen, nonZeroL2.Max() * widen),
            IncludeZeroL2 = L2 is not null && nonZeroL2.Count > 0 && list.Any(t => t.L2 == 0),
            HiddenLayers = HiddenLayers is null or { Count: 0 } ? null : list.Select(t => t.HiddenLayers).DistinctBy(Shape).ToArray(),
            Activations = Activations is null or { Count: 0 } ? null : list.Select(t => t.Activation).Distinct().ToArray(),
            Optimizers = Optimizers is null or { Count: 0 } ? null : list.Select(t => t.Optimizer).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            Dropouts = Dropouts is null or { Count: 0 } ? null : list.Select(t => t.Dropout).Distinct().ToArray(),
            BatchNorm = BatchNorm is null or { Count: 0 } ? null : list.Select(t => t.BatchNorm).Distinct().ToArray(),
            BatchSizes = BatchSizes is null or { Count: 0 } ? null : list.Select(t => t.BatchSize).Distinct().ToArray(),
            NumericEmbeddings = NumericEmbeddings is null or { Count: 0 } ? null : list.Select(t => t.NumericEmbedding).Distinct().ToArray(),
        };
    }

    /// <summary>
    /// Test seam: when set, trial i (from 2) is <c>FixedTrials[(i − 2) mod count]</c> instead of a draw, so a test can put
    /// known configurations (one that diverges, learning rates that rank in a known order…) through the search.
    /// </summary>
    internal IReadOnlyList<TrialConfiguration>? FixedTrials { get; init; }

    /// <summary>
    /// Draws trial <paramref name="trial"/>'s configuration. Each trial has its own random stream
    /// (seed, <see cref="RandomPurpose.Search"/>, trial), so a trial's values do not depend on the other trials.
    /// </summary>
    internal TrialConfiguration Sample(long seed, int trial, TrialConfiguration baseline)
    {
        if (FixedTrials is { Count: > 0 } fixedTrials) return fixedTrials[(trial - 2) % fixedTrials.Count];
        var rng = new CounterRandom(seed, (long)RandomPurpose.Search, trial);
        double lr = LearningRate?.Resolve(baseline.LearningRate).Sample(ref rng) ?? baseline.LearningRate;
        float l2 = baseline.L2;
        if (L2 is not null)
        {
            bool zero = IncludeZeroL2 && rng.NextDouble() < 0.25;
            double v = L2.Sample(ref rng);
            l2 = zero ? 0f : (float)v;
        }
        return new TrialConfiguration
        {
            LearningRate = lr,
            L2 = l2,
            HiddenLayers = [.. Pick(ref rng, HiddenLayers, baseline.HiddenLayers)],
            Activation = Pick(ref rng, Activations, baseline.Activation),
            Optimizer = Pick(ref rng, Optimizers, baseline.Optimizer).Trim().ToLowerInvariant(),
            Dropout = Pick(ref rng, Dropouts, baseline.Dropout),
            BatchNorm = Pick(ref rng, BatchNorm, baseline.BatchNorm),
            BatchSize = Pick(ref rng, BatchSizes, baseline.BatchSize),
            NumericEmbedding = Pick(ref rng, NumericEmbeddings, baseline.NumericEmbedding),
        };
    }

    private static T Pick<T>(ref CounterRandom rng, IReadOnlyList<T>? choices, T baseline) =>
        choices is null || choices.Count == 0 ? baseline : choices[rng.NextInt(choices.Count)];

    internal static string Shape(int[] layers) => "[" + string.Join(",", layers) + "]";
}
