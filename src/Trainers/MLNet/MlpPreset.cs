namespace MLNetBackprop;

/// <summary>A named set of defaults for the MLP trainers' options (see <see cref="MlpPresets"/> for the values).</summary>
public enum MlpPreset
{
    /// <summary>
    /// The default: a recipe for tabular data after RealMLP (Holzmüller et al., NeurIPS 2024) — robust scaling with
    /// smooth clipping, periodic embeddings of numeric features, learnable feature scales, neural-tangent layers of
    /// [64, 64] with SELU (classification) or Mish (regression), label smoothing 0.1, Adam (β₂ 0.95) at 0.04 / 0.07 under
    /// the coslog₄ schedule, batches of 256, epochs from a step budget — as an ensemble of 4 networks, each keeping its
    /// best epoch on its own fifth of the rows. Measured against ML.NET's trainers in bench/RESULTS.md.
    /// </summary>
    Tabular,

    /// <summary>
    /// The defaults before the tabular recipe (release a590028): one [128, 64] ReLU network, He initialisation, Adam at
    /// 1e-3, L2 1e-3, batches of 32, 100 epochs, z-score standardisation, no validation split (early stopping on
    /// validation data when it is given). Reproduces that release's results.
    /// </summary>
    Classic,
}
