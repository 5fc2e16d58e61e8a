namespace MLNetBackprop;

/// <summary>
/// A learning-rate schedule: the rate of each epoch as a function of the optimizer's base rate.
/// Schedules are immutable descriptions; the state of a run (reduce-on-plateau's current factor)
/// lives in the object <see cref="Start(double, int)"/> returns.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Starts a run at <paramref name="baseRate"/>.</summary>
    /// <param name="baseRate">The optimizer's learning rate.</param>
    public abstract Run Start(double baseRate);

    /// <summary>
    /// Starts a run at <paramref name="baseRate"/> that will last <paramref name="epochs"/> epochs: schedules shaped over the
    /// whole run (<see cref="CosLog"/>) need the length; the others ignore it.
    /// </summary>
    /// <param name="baseRate">The optimizer's learning rate.</param>
    /// <param name="epochs">The planned number of epochs (≥ 1).</param>
    public virtual Run Start(double baseRate, int epochs) => Start(baseRate);

    /// <summary>The live state of a schedule during training.</summary>
    public abstract class Run
    {
        /// <summary>The rate for a step: <paramref name="epoch"/> from 0; <paramref name="progress"/> in [0, 1) within the epoch.</summary>
        /// <param name="epoch">Epoch index from 0.</param>
        /// <param name="progress">Fraction of the epoch done before this step.</param>
        public abstract double Rate(int epoch, double progress);

        /// <summary>Told the monitored validation loss (or training loss) after each epoch.</summary>
        /// <param name="loss">The quantity to minimise.</param>
        public virtual void EpochEnded(double loss) { }

        /// <summary>
        /// The run's mutable state, for checkpoints: empty for the stateless schedules (their rate is a
        /// pure function of the epoch), [rate, best, epochs without improvement] for reduce-on-plateau.
        /// </summary>
        public virtual double[] SaveState() => [];

        /// <summary>Restores a state returned by <see cref="SaveState"/> of a run of the same schedule.</summary>
        /// <param name="state">The saved values.</param>
        /// <exception cref="ArgumentException">The state has the wrong number of values for this schedule.</exception>
        public virtual void RestoreState(ReadOnlySpan<double> state)
        {
            if (state.Length != 0)
                throw new ArgumentException($"This schedule keeps no state; got {state.Length} values (a checkpoint of another schedule?).", nameof(state));
        }
    }

    /// <summary>The base rate throughout.</summary>
    public static LearningRateSchedule Constant() => new Functional((b, e, p) => b, "constant");

    /// <summary>Multiply by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs (torch StepLR).</summary>
    /// <param name="stepSize">Epochs between decays (≥ 1).</param>
    /// <param name="gamma">Decay factor in (0, 1].</param>
    public static LearningRateSchedule Step(int stepSize, double gamma = 0.1)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "stepSize must be ≥ 1.");
        CheckFactor(gamma, nameof(gamma));
        return new Functional((b, e, p) => b * Math.Pow(gamma, e / stepSize), $"step({stepSize}, {gamma})");
    }

    /// <summary>Multiply by <paramref name="gamma"/> every epoch (torch ExponentialLR).</summary>
    /// <param name="gamma">Decay factor in (0, 1].</param>
    public static LearningRateSchedule Exponential(double gamma)
    {
        CheckFactor(gamma, nameof(gamma));
        return new Functional((b, e, p) => b * Math.Pow(gamma, e), $"exponential({gamma})");
    }

    /// <summary>
    /// Cosine annealing from the base rate to <paramref name="minRate"/> over <paramref name="epochs"/> epochs
    /// (torch CosineAnnealingLR, evaluated per epoch), after an optional linear warm-up from 0 over
    /// <paramref name="warmupEpochs"/> epochs (per step).
    /// </summary>
    /// <param name="epochs">Length of the cosine, in epochs (≥ 1), usually the training epochs.</param>
    /// <param name="minRate">Final rate (η_min).</param>
    /// <param name="warmupEpochs">Linear warm-up epochs before the cosine starts.</param>
    public static LearningRateSchedule Cosine(int epochs, double minRate = 0, int warmupEpochs = 0)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "epochs must be ≥ 1.");
        if (!(minRate >= 0)) throw new ArgumentOutOfRangeException(nameof(minRate), minRate, "minRate must be ≥ 0.");
        if (warmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, "warmupEpochs must be ≥ 0.");
        return new Functional((b, e, p) =>
        {
            if (e < warmupEpochs) return b * (e + p) / warmupEpochs;
            int t = Math.Min(e - warmupEpochs, epochs);
            return minRate + (b - minRate) * (1 + Math.Cos(Math.PI * t / epochs)) / 2;
        }, $"cosine({epochs}, {minRate}, warmup {warmupEpochs})");
    }

    /// <summary>
    /// RealMLP's "coslog" schedule (Holzmüller et al. 2024): rate = base·½·(1 − cos(2π·log₂(1 + (2ᶜ − 1)·t))), t ∈ [0, 1]
    /// the fraction of the whole run done (per step), c = <paramref name="cycles"/>. It starts at 0 (a warm-up), and makes
    /// c cosine cycles, each twice as long as the one before, returning to 0 at the end of each — so the run passes
    /// through several well-converged points, one of which the best-epoch selection keeps. The run's length comes from
    /// <see cref="Start(double, int)"/> (the training epochs).
    /// </summary>
    /// <param name="cycles">Number of cycles (≥ 1; RealMLP uses 4).</param>
    public static LearningRateSchedule CosLog(int cycles = 4)
    {
        if (cycles < 1) throw new ArgumentOutOfRangeException(nameof(cycles), cycles, "cycles must be ≥ 1.");
        return new CosLogSchedule(cycles);
    }

    /// <summary>
    /// Multiply the rate by <paramref name="factor"/> when the monitored loss has not improved by more
    /// than <paramref name="threshold"/> (relative) for <paramref name="patience"/> epochs, never below
    /// <paramref name="minRate"/> (torch ReduceLROnPlateau, mode min, threshold_mode rel, cooldown 0).
    /// </summary>
    /// <param name="factor">Reduction factor in (0, 1).</param>
    /// <param name="patience">Epochs without improvement tolerated.</param>
    /// <param name="minRate">Floor.</param>
    /// <param name="threshold">Relative improvement that counts.</param>
    public static LearningRateSchedule ReduceOnPlateau(double factor = 0.1, int patience = 10, double minRate = 0, double threshold = 1e-4)
    {
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in (0, 1).");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be ≥ 0.");
        if (!(minRate >= 0)) throw new ArgumentOutOfRangeException(nameof(minRate), minRate, "minRate must be ≥ 0.");
        if (!(threshold >= 0)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be ≥ 0.");
        return new Plateau(factor, patience, minRate, threshold);
    }

    private static void CheckFactor(double gamma, string name)
    {
        if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(name, gamma, $"{name} must be in (0, 1].");
    }

    private sealed class Functional(Func<double, int, double, double> rate, string text) : LearningRateSchedule
    {
        public override Run Start(double baseRate) => new FunctionalRun(rate, baseRate);
        public override string ToString() => text;
    }

    /// <summary>A stateless run: the rate is a pure function of (base rate, epoch, progress).</summary>
    private sealed class FunctionalRun(Func<double, int, double, double> rate, double baseRate) : Run
    {
        public override double Rate(int epoch, double progress) => rate(baseRate, epoch, progress);
    }

    private sealed class CosLogSchedule(int cycles) : LearningRateSchedule
    {
        public override Run Start(double baseRate) => throw new InvalidOperationException("The coslog schedule is shaped over the whole run: start it with the number of epochs.");

        public override Run Start(double baseRate, int epochs)
        {
            if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "epochs must be ≥ 1.");
            double stretch = Math.Pow(2, cycles) - 1;
            return new FunctionalRun((b, e, p) =>
            {
                double t = Math.Min(1.0, (e + p) / epochs);
                return b * 0.5 * (1 - Math.Cos(2 * Math.PI * Math.Log2(1 + stretch * t)));
            }, baseRate);
        }

        public override string ToString() => $"coslog({cycles})";
    }

    private sealed class Plateau(double factor, int patience, double minRate, double threshold) : LearningRateSchedule
    {
        private readonly double _factor = factor, _minRate = minRate, _threshold = threshold;
        private readonly int _patience = patience;

        public override Run Start(double baseRate) => new PlateauRun(this, baseRate);
        public override string ToString() => $"reduce-on-plateau({_factor}, {_patience}, {_minRate}, {_threshold})";

        private sealed class PlateauRun(Plateau p, double baseRate) : Run
        {
            private double _rate = baseRate;
            private double _best = double.PositiveInfinity;
            private int _bad;

            public override double Rate(int epoch, double progress) => _rate;

            public override void EpochEnded(double loss)
            {
                if (loss < _best * (1 - p._threshold)) { _best = loss; _bad = 0; return; }
                if (++_bad > p._patience)
                {
                    _rate = Math.Max(_rate * p._factor, p._minRate);
                    _bad = 0;
                }
            }

            public override double[] SaveState() => [_rate, _best, _bad];

            public override void RestoreState(ReadOnlySpan<double> state)
            {
                if (state.Length != 3)
                    throw new ArgumentException($"Reduce-on-plateau keeps 3 values (rate, best, bad epochs); got {state.Length} (a checkpoint of another schedule?).", nameof(state));
                _rate = state[0];
                _best = state[1];
                _bad = checked((int)state[2]);
            }
        }
    }
}
