namespace MLNetBackprop;

/// <summary>How numeric features are encoded inside the network before its first layer.</summary>
public enum NumericEmbedding
{
    /// <summary>Each feature enters the first layer as one value.</summary>
    None,

    /// <summary>
    /// Periodic embeddings (RealMLP's PBLD form of Gorishniy et al., NeurIPS 2022): each numeric feature (more than two
    /// distinct values in the training rows) also enters as 3 learned mixtures of 16 cosines of it, so thresholds and
    /// bumps on one feature — what trees find with a split — become linear for the first layer. One-hot levels and
    /// binary flags pass through. Costs 3 more inputs per numeric feature.
    /// </summary>
    Periodic,
}
