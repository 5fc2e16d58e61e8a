namespace MLNetBackprop;

/// <summary>The validation quantity that early stopping and best-epoch selection watch.</summary>
public enum ValidationMonitor
{
    /// <summary>Validation loss (lower is better). The default.</summary>
    Loss,
    /// <summary>Classification accuracy (higher is better).</summary>
    Accuracy,
    /// <summary>Area under the ROC curve, binary classification (higher is better).</summary>
    Auc,
    /// <summary>Coefficient of determination, regression (higher is better).</summary>
    RSquared,
}

/// <summary>Stop when the monitored validation quantity has not improved for <see cref="Patience"/> epochs; the best epoch's weights are returned.</summary>
public sealed record EarlyStopping
{
    /// <summary>Epochs without improvement before stopping (default 10).</summary>
    public int Patience { get; init; } = 10;

    /// <summary>The smallest change that counts as an improvement (default 0).</summary>
    public double MinDelta { get; init; }

    /// <summary>What to watch (default the validation loss).</summary>
    public ValidationMonitor Monitor { get; init; } = ValidationMonitor.Loss;

    /// <summary>Checks every value.</summary>
    public void Validate()
    {
        if (Patience < 1) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be ≥ 1.");
        if (!(MinDelta >= 0 && double.IsFinite(MinDelta))) throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "MinDelta must be a finite number ≥ 0.");
        if (!Enum.IsDefined(Monitor)) throw new ArgumentOutOfRangeException(nameof(Monitor), Monitor, "Unknown monitor.");
    }
}
