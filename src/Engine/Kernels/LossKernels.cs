namespace MLNetBackprop.Engine;

internal static partial class Kernels
{
    /// <summary>
    /// log Σ exp(xⱼ), computed stably in double as m + log Σ exp(xⱼ − m) with m = max xⱼ, so logits of any
    /// finite magnitude (±1e4 and beyond) give a finite result.
    /// </summary>
    /// <param name="values">The logits of one row (not empty).</param>
    /// <param name="max">Receives m, the largest value.</param>
    /// <returns>The log-sum-exp of <paramref name="values"/>.</returns>
    public static double LogSumExp(ReadOnlySpan<float> values, out double max)
    {
        double m = double.NegativeInfinity;
        for (int j = 0; j < values.Length; j++)
            if (values[j] > m) m = values[j];
        max = m;
        if (double.IsInfinity(m)) return m;
        double sum = 0;
        for (int j = 0; j < values.Length; j++) sum += Math.Exp(values[j] - m);
        return m + Math.Log(sum);
    }

    /// <summary>log(1 + eˣ) without overflow or loss of precision: max(x, 0) + log1p(e^−|x|).</summary>
    /// <param name="x">Any finite value.</param>
    public static double LogOnePlusExp(double x) => Math.Max(x, 0) + LogOnePlus(Math.Exp(-Math.Abs(x)));

    /// <summary>The logistic function 1/(1 + e⁻ˣ), accurate in both tails (e.g. σ(−80) ≈ 1.8e-35, not 0).</summary>
    /// <param name="x">Any value.</param>
    public static double Logistic(double x)
    {
        if (x >= 0) return 1 / (1 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>log(1 + y) for 0 ≤ y ≤ 1, accurate when y is tiny.</summary>
    private static double LogOnePlus(double y)
    {
        double u = 1 + y;
        return u == 1 ? y : Math.Log(u) * y / (u - 1);
    }
}
