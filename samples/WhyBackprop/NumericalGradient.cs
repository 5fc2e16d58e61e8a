namespace MLNetBackprop.Samples.WhyBackprop;

/// <summary>
/// Numerical differentiation, the way note 001 first computes a gradient: nudge one parameter by ±h, run the whole
/// forward pass twice, and take the central difference (L(θ + h) − L(θ − h)) / 2h. Every parameter costs two forward
/// passes, so a network of P parameters costs 2·P forward passes per gradient.
/// </summary>
public static class NumericalGradient
{
    /// <summary>The central-difference gradient of <paramref name="loss"/> with respect to every value of <paramref name="parameters"/> (float64).</summary>
    /// <param name="loss">Runs the forward pass on the current parameter values and returns the loss.</param>
    /// <param name="parameters">The parameter arrays <paramref name="loss"/> reads; each value is restored after its two passes.</param>
    /// <param name="h">The step.</param>
    /// <param name="forwardPasses">How many times <paramref name="loss"/> was called.</param>
    public static double[] Compute(Func<double> loss, IReadOnlyList<double[]> parameters, double h, out long forwardPasses)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(parameters);
        var gradient = new double[parameters.Sum(p => p.Length)];
        long passes = 0;
        int k = 0;
        foreach (var values in parameters)
            for (int i = 0; i < values.Length; i++)
            {
                double original = values[i];
                values[i] = original + h;
                double plus = loss();
                values[i] = original - h;
                double minus = loss();
                values[i] = original;
                passes += 2;
                gradient[k++] = (plus - minus) / (2 * h);
            }
        forwardPasses = passes;
        return gradient;
    }

    /// <summary>
    /// The same on float32 parameters (the engine's): the step is h·max(1, |θ|), and the quotient divides by the step
    /// actually taken after rounding θ ± h to float.
    /// </summary>
    /// <param name="loss">Runs the forward pass on the current parameter values and returns the loss.</param>
    /// <param name="parameters">The parameter arrays <paramref name="loss"/> reads; each value is restored after its two passes.</param>
    /// <param name="h">The relative step.</param>
    /// <param name="forwardPasses">How many times <paramref name="loss"/> was called.</param>
    /// <param name="limit">Stop after this many parameters (the rest of the gradient stays 0), e.g. to time a sample of them.</param>
    public static double[] Compute(Func<double> loss, IReadOnlyList<float[]> parameters, double h, out long forwardPasses, long limit = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(parameters);
        var gradient = new double[parameters.Sum(p => p.Length)];
        long passes = 0;
        int k = 0;
        foreach (var values in parameters)
            for (int i = 0; i < values.Length && k < limit; i++)
            {
                float original = values[i];
                double step = h * Math.Max(1.0, Math.Abs(original));
                float up = (float)(original + step), down = (float)(original - step);
                values[i] = up;
                double plus = loss();
                values[i] = down;
                double minus = loss();
                values[i] = original;
                passes += 2;
                gradient[k++] = (plus - minus) / ((double)up - down);
            }
        forwardPasses = passes;
        return gradient;
    }
}
