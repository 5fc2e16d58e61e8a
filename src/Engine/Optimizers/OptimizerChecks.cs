namespace MLNetBackprop.Engine;

/// <summary>Argument checks shared by the optimizer constructors; each names the offending hyper-parameter.</summary>
internal static class OptimizerChecks
{
    public static void InRange(double value, double low, double high, string name, bool upperInclusive = true)
    {
        bool ok = value >= low && (upperInclusive ? value <= high : value < high);
        if (!ok)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [{low}, {high}{(upperInclusive ? "]" : ")")}.");
    }

    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0.");
    }

    public static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0.");
    }
}
