namespace MLNetBackprop;

/// <summary>How the trainer normalises each feature before the network (learned from the training rows, saved with the model).</summary>
public enum FeatureNormalization
{
    /// <summary>The features go in as they are.</summary>
    None,

    /// <summary>z-score: subtract the mean, divide by the standard deviation (a constant feature is only centred).</summary>
    Standard,

    /// <summary>
    /// Robust scaling with smooth clipping (RealMLP, Holzmüller et al. 2024): subtract the median, divide by the
    /// interquartile range (by half the range where the quartiles coincide, as for a rare one-hot level; a constant
    /// feature becomes 0), then x/√(1 + (x/3)²), which leaves the bulk alone and squashes outliers towards ±3. Heavy
    /// tails, skewed amounts and rare one-hot levels then all reach the network on the same scale.
    /// </summary>
    Robust,
}
