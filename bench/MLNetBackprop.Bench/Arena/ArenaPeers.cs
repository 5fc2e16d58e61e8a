using Microsoft.ML;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// ML.NET's own trainers, each with its defaults (label "Label", features "Features"):
/// LightGbm; FastTree and FastForest (binary/regression; multiclass = OneVersusAll over the binary trainer);
/// L-BFGS (binary LbfgsLogisticRegression, multiclass LbfgsMaximumEntropy; none for regression) and SDCA
/// (binary SdcaLogisticRegression, multiclass SdcaMaximumEntropy, regression Sdca), the linear ones after
/// NormalizeMeanVariance("Features").
/// </summary>
public static class ArenaPeers
{
    public static readonly IReadOnlyList<ArenaTrainer> All =
    [
        new("lightgbm", false, _ => "LightGbm", (ml, task, _) => task switch
        {
            ArenaTask.Binary => ml.BinaryClassification.Trainers.LightGbm(),
            ArenaTask.Multiclass => ml.MulticlassClassification.Trainers.LightGbm(),
            _ => ml.Regression.Trainers.LightGbm(),
        }),
        new("fasttree", false, t => t == ArenaTask.Multiclass ? "OneVersusAll(FastTree)" : "FastTree", (ml, task, _) => task switch
        {
            ArenaTask.Binary => ml.BinaryClassification.Trainers.FastTree(),
            ArenaTask.Multiclass => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree()),
            _ => ml.Regression.Trainers.FastTree(),
        }),
        new("fastforest", false, t => t == ArenaTask.Multiclass ? "OneVersusAll(FastForest)" : "FastForest", (ml, task, _) => task switch
        {
            ArenaTask.Binary => ml.BinaryClassification.Trainers.FastForest(),
            ArenaTask.Multiclass => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastForest()),
            _ => ml.Regression.Trainers.FastForest(),
        }),
        new("lbfgs", false, t => t switch
        {
            ArenaTask.Binary => "LbfgsLogisticRegression",
            ArenaTask.Multiclass => "LbfgsMaximumEntropy",
            _ => "(none for regression)",
        }, (ml, task, _) => task switch
        {
            ArenaTask.Binary => ml.Transforms.NormalizeMeanVariance(Featurizer.Features).Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression()),
            ArenaTask.Multiclass => ml.Transforms.NormalizeMeanVariance(Featurizer.Features).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()),
            _ => null,
        }),
        new("sdca", false, t => t switch
        {
            ArenaTask.Binary => "SdcaLogisticRegression",
            ArenaTask.Multiclass => "SdcaMaximumEntropy",
            _ => "Sdca",
        }, (ml, task, _) => task switch
        {
            ArenaTask.Binary => ml.Transforms.NormalizeMeanVariance(Featurizer.Features).Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression()),
            ArenaTask.Multiclass => ml.Transforms.NormalizeMeanVariance(Featurizer.Features).Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
            _ => ml.Transforms.NormalizeMeanVariance(Featurizer.Features).Append(ml.Regression.Trainers.Sdca()),
        }),
    ];

    /// <summary>"all", "none" or a comma-separated list of ids (lightgbm, fasttree, fastforest, lbfgs, sdca).</summary>
    public static IReadOnlyList<ArenaTrainer> Select(string spec)
    {
        if (spec.Equals("all", StringComparison.OrdinalIgnoreCase)) return All;
        if (spec.Equals("none", StringComparison.OrdinalIgnoreCase)) return [];
        return spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(id =>
            All.FirstOrDefault(p => p.Id.Equals(id, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown peer '{id}'; known: {string.Join(", ", All.Select(p => p.Id))}, or all / none")).ToList();
    }
}
