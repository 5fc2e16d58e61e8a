using Microsoft.ML;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// A contestant: builds the estimator for a task (null = does not apply to it) from a fresh MLContext seeded
/// with the split seed. Everything the estimator contains is timed as its fit (for the linear peers that
/// includes their NormalizeMeanVariance).
/// </summary>
public sealed record ArenaTrainer(string Id, bool IsMlp, Func<ArenaTask, string> DisplayName, Func<MLContext, ArenaTask, int, IEstimator<ITransformer>?> Build)
{
    public string Column => IsMlp ? $"Mlp {Id}" : Id switch
    {
        "lightgbm" => "LightGbm",
        "fasttree" => "FastTree",
        "fastforest" => "FastForest",
        "lbfgs" => "L-BFGS",
        "sdca" => "SDCA",
        _ => Id,
    };
}
