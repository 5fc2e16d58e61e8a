namespace MLNetBackprop.Engine;

/// <summary>
/// Scalar maths in float64 that several activations' definitions share (each activation's own formula is in its layer):
/// a sigmoid that never overflows, erf/erfc (.NET has none), eˣ − 1 and log(1 + x) without cancellation.
/// </summary>
internal static class ScalarMath
{
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrtPi = 0.56418958354775628695;

    /// <summary>1/(1 + e⁻ˣ), evaluated so the exponential never overflows.</summary>
    /// <param name="x">Input.</param>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1.0 / (1.0 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

    /// <summary>The standard normal CDF Φ(x) = ½·erfc(−x/√2).</summary>
    /// <param name="x">Input.</param>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    /// <summary>
    /// The error function to about 1e-15 relative: a positive-term series
    /// erf(x) = (2/√π)·e^(−x²)·Σ (2x²)ⁿ·x/(1·3···(2n+1)) for |x| &lt; 2.5 (no cancellation), and
    /// 1 − erfc(x) beyond, erfc from its continued fraction. (.NET has no Math.Erf.)
    /// </summary>
    /// <param name="x">Input.</param>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax < 2.5) return ErfSeries(x);
        double r = 1.0 - ErfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>The complementary error function 1 − erf(x), accurate in the tail (no cancellation for large x).</summary>
    /// <param name="x">Input.</param>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (Math.Abs(x) < 2.5) return 1.0 - ErfSeries(x);
        return x > 0 ? ErfcContinuedFraction(x) : 2.0 - ErfcContinuedFraction(-x);
    }

    private static double ErfSeries(double x)
    {
        double x2 = x * x;
        double term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
        }
        return 2.0 * InvSqrtPi * Math.Exp(-x2) * sum;
    }

    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), x ≥ 2.5, modified Lentz.
    private static double ErfcContinuedFraction(double x)
    {
        if (x > 27.3) return 0.0; // e^(−x²) underflows double.
        const double tiny = 1e-300;
        double f = x, c = x, d = 0.0;
        for (int n = 1; n < 500; n++)
        {
            double a = 0.5 * n;
            d = x + a * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = x + a / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16) break;
        }
        return InvSqrtPi * Math.Exp(-x * x) / f;
    }

    /// <summary>eˣ − 1 without cancellation near 0 (Kahan's trick).</summary>
    /// <param name="x">Input.</param>
    public static double ExpMinusOne(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }

    /// <summary>log(1 + x) without cancellation for small x (Goldberg's trick).</summary>
    /// <param name="x">Input, &gt; −1.</param>
    public static double LogOnePlus(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        return Math.Log(u) * x / (u - 1.0);
    }
}
