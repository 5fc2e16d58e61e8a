namespace MLNetBackprop.Engine;

/// <summary>One mini-batch: features, targets and optional weights of <see cref="Rows"/> rows.</summary>
public sealed class MiniBatch
{
    /// <summary>A batch able to hold <paramref name="capacity"/> rows.</summary>
    /// <param name="capacity">Most rows it will hold.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="targetWidth">Targets per row.</param>
    /// <param name="weights">Whether to hold example weights.</param>
    public MiniBatch(int capacity, int features, int targetWidth, bool weights)
    {
        Features = new Matrix(capacity, features);
        Targets = new float[capacity * targetWidth];
        Weights = weights ? new float[capacity] : null;
        TargetWidth = targetWidth;
        Capacity = capacity;
    }

    /// <summary>Rows × features; <see cref="Matrix.Rows"/> equals <see cref="Rows"/>.</summary>
    public Matrix Features { get; }

    /// <summary>Targets, <see cref="TargetWidth"/> per row; the first <see cref="Rows"/> × <see cref="TargetWidth"/> are live.</summary>
    public float[] Targets { get; }

    /// <summary>Example weights (the first <see cref="Rows"/> are live), or null for all 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Targets per row.</summary>
    public int TargetWidth { get; }

    /// <summary>Most rows the batch holds.</summary>
    public int Capacity { get; }

    /// <summary>Live rows.</summary>
    public int Rows { get; private set; }

    /// <summary>The live targets.</summary>
    public ReadOnlySpan<float> TargetSpan => Targets.AsSpan(0, Rows * TargetWidth);

    /// <summary>The live weights, or empty when there are none.</summary>
    public ReadOnlySpan<float> WeightSpan => Weights is null ? default : Weights.AsSpan(0, Rows);

    /// <summary>Sets the number of live rows (≤ <see cref="Capacity"/>).</summary>
    /// <param name="rows">Live rows.</param>
    public void SetRows(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Capacity);
        Features.SetRows(rows);
        Rows = rows;
    }
}
