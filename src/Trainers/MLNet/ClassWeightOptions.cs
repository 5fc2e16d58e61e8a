namespace MLNetBackprop;

/// <summary>
/// The rules of the classifiers' <c>ClassWeighting</c> and <c>ClassWeights</c> options, shared by
/// <see cref="MlpMulticlassTrainer.Options"/> and <see cref="MlpBinaryTrainer.Options"/>.
/// </summary>
internal static class ClassWeightOptions
{
    /// <summary>
    /// Checks the pair, naming the option at fault: a defined weighting; weights when it is
    /// <see cref="ClassWeighting.Explicit"/>; given weights of the right count (<paramref name="checkCount"/>, when
    /// the count is known before Fit) and each a finite number ≥ 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static void Validate(ClassWeighting weighting, float[]? weights, Action<float[]>? checkCount = null)
    {
        if (!Enum.IsDefined(weighting)) throw new ArgumentOutOfRangeException(nameof(ClassWeighting), weighting, "Unknown class weighting.");
        if (weighting == ClassWeighting.Explicit && weights is null)
            throw new ArgumentOutOfRangeException(nameof(MlpMulticlassTrainer.Options.ClassWeights), null, "ClassWeighting.Explicit needs ClassWeights.");
        if (weights is null) return;
        checkCount?.Invoke(weights);
        foreach (float w in weights)
            if (!(w >= 0 && float.IsFinite(w))) throw new ArgumentOutOfRangeException(nameof(MlpMulticlassTrainer.Options.ClassWeights), w, "Class weights must be finite numbers ≥ 0.");
    }

    /// <summary>The weighting in effect: setting <c>ClassWeights</c> while the weighting is left at None selects Explicit.</summary>
    public static ClassWeighting Effective(ClassWeighting weighting, float[]? weights) =>
        weights is not null && weighting == ClassWeighting.None ? ClassWeighting.Explicit : weighting;
}
