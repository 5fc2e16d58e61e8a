using System.Globalization;
using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// A range searched on a log scale: a draw is <c>exp(U(ln Min, ln Max))</c>, so every decade is equally likely. A range
/// made by <see cref="AroundBase"/> is relative: Min and Max are factors on the base options' value.
/// </summary>
/// <param name="Min">Smallest value (or factor), a finite number &gt; 0.</param>
/// <param name="Max">Largest value (or factor), a finite number ≥ <paramref name="Min"/>.</param>
public sealed record LogRange(double Min, double Max)
{
    /// <summary>True when <see cref="Min"/> and <see cref="Max"/> multiply the base options' value (see <see cref="AroundBase"/>).</summary>
    public bool RelativeToBase { get; init; }

    /// <summary>
    /// The range base/<paramref name="below"/> … base·<paramref name="above"/> around the base options' value — for the
    /// learning rate, so the range fits the parametrisation (neural-tangent rates are tens of times the standard ones).
    /// </summary>
    /// <param name="below">How far below the base value the range reaches (a factor ≥ 1).</param>
    /// <param name="above">How far above (a factor ≥ 1).</param>
    public static LogRange AroundBase(double below, double above) => new(1 / below, above) { RelativeToBase = true };

    /// <summary>The absolute range for a base value (itself when not relative).</summary>
    /// <param name="baseValue">The base options' value.</param>
    public LogRange Resolve(double baseValue) => RelativeToBase ? new LogRange(Min * baseValue, Max * baseValue) : this;
    /// <summary>Checks that 0 &lt; Min ≤ Max &lt; ∞.</summary>
    /// <param name="name">The option name used in the exception.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty, non-positive or not finite.</exception>
    public void Validate(string name)
    {
        if (!(Min > 0 && double.IsFinite(Min) && double.IsFinite(Max) && Max >= Min))
            throw new ArgumentOutOfRangeException(name, this, $"{name} must satisfy 0 < Min ≤ Max < ∞ (a log-uniform range).");
    }

    internal double Sample(ref CounterRandom rng) =>
        Min == Max ? Min : Math.Exp(Math.Log(Min) + rng.NextDouble() * (Math.Log(Max) - Math.Log(Min)));

    /// <inheritdoc />
    public override string ToString() => RelativeToBase
        ? string.Create(CultureInfo.InvariantCulture, $"[base ÷ {1 / Min:G3} … base × {Max:G3}] (log)")
        : string.Create(CultureInfo.InvariantCulture, $"[{Min:G3} … {Max:G3}] (log)");
}
