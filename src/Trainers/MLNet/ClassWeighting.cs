namespace MLNetBackprop;

/// <summary>How classification losses weight the classes.</summary>
public enum ClassWeighting
{
    /// <summary>Every class weighs 1 (default).</summary>
    None,
    /// <summary>Weight of class c = n_rows / (n_classes · n_rows_in_c), as scikit-learn's "balanced".</summary>
    Balanced,
    /// <summary>The weights given in the options' <c>ClassWeights</c>.</summary>
    Explicit,
}
