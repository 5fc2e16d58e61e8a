using System.Globalization;
using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>A range searched on a log scale: a draw is <c>exp(U(ln Min, ln Max))</c>, so every decade is equally likely.</summary>
/// <param name="Min">Smallest value, a finite number &gt; 0.</param>
/// <param name="Max">Largest value, a finite number ≥ <paramref name="Min"/>.</param>
public sealed record LogRange(double Min, double Max)
{
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
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Min:G3} … {Max:G3}] (log)");
}
