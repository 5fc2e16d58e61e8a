namespace MLNetBackprop.Engine;

/// <summary>Argument checks shared by the losses.</summary>
internal static class LossChecks
{
    /// <summary>Checks the output, target count and row weights, and shapes <paramref name="gradient"/> like <paramref name="output"/>.</summary>
    public static void Check(Matrix output, ReadOnlySpan<float> targets, int targetsPerRow, ReadOnlySpan<float> rowWeights, Matrix gradient)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(gradient);
        if (output.Columns < 1)
            throw new ArgumentException("The output needs at least one column.", nameof(output));
        long expected = (long)output.Rows * targetsPerRow;
        if (targets.Length != expected)
            throw new ArgumentException($"Expected {expected} targets for {output.Rows} rows; got {targets.Length}.", nameof(targets));
        if (rowWeights.Length != 0 && rowWeights.Length != output.Rows)
            throw new ArgumentException($"Expected {output.Rows} row weights (or none); got {rowWeights.Length}.", nameof(rowWeights));
        for (int i = 0; i < rowWeights.Length; i++)
        {
            float w = rowWeights[i];
            if (!(w >= 0) || float.IsPositiveInfinity(w))
                throw new ArgumentOutOfRangeException(nameof(rowWeights), w, $"Row weight {i} must be a finite number ≥ 0.");
        }
        if (gradient.Columns != output.Columns)
            throw new ArgumentException($"The gradient has {gradient.Columns} columns; the output has {output.Columns}.", nameof(gradient));
        if (gradient.Rows != output.Rows) gradient.SetRows(output.Rows);
    }

    /// <summary>Checks optional per-column weights (class weights, pos_weight): finite and ≥ 0, one per output column.</summary>
    public static float[]? CopyColumnWeights(float[]? weights, string name)
    {
        if (weights is null) return null;
        if (weights.Length == 0) throw new ArgumentException($"{name} must not be empty (pass null for none).", name);
        foreach (float w in weights)
            if (!(w >= 0) || float.IsPositiveInfinity(w))
                throw new ArgumentOutOfRangeException(name, w, $"Every value of {name} must be a finite number ≥ 0.");
        return (float[])weights.Clone();
    }

    /// <summary>Checks that per-column weights, when given, match the output's column count.</summary>
    public static void CheckColumnCount(float[]? weights, int columns, string name)
    {
        if (weights is not null && weights.Length != columns)
            throw new ArgumentException($"{name} has {weights.Length} values but the output has {columns} columns.", name);
    }

    /// <summary>Σ rᵢ in double, or the row count when there are no row weights.</summary>
    public static double RowWeightSum(ReadOnlySpan<float> rowWeights, int rows)
    {
        if (rowWeights.IsEmpty) return rows;
        double sum = 0;
        foreach (float w in rowWeights) sum += w;
        return sum;
    }
}
