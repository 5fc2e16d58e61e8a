using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// The "search" contestant: <see cref="MlpSearch.Run{TOptions}"/> on the data it is fitted on (validation rows carved
/// from it by the search), then the winning options — with the defaults' ensemble size — trained on all of it. Fit does
/// both, so the arena times both.
/// </summary>
public sealed class SearchingEstimator(MLContext ml, ArenaTask task, int seed, SearchSettings settings) : IEstimator<ITransformer>
{
    public ITransformer Fit(IDataView input)
    {
        MlpOptionsBase best = task switch
        {
            ArenaTask.Binary => MlpSearch.Run(ml, input, null, Columns(new MlpBinaryTrainer.Options()), settings: settings).BestOptions,
            ArenaTask.Multiclass => MlpSearch.Run(ml, input, null, Columns(new MlpMulticlassTrainer.Options()), settings: settings).BestOptions,
            _ => MlpSearch.Run(ml, input, null, Columns(new MlpRegressionTrainer.Options()), settings: settings).BestOptions,
        };
        // The search's epochs were chosen for its smaller training part; let the final model choose its own.
        best.Epochs = null;
        return best switch
        {
            MlpBinaryTrainer.Options b => ml.BinaryClassification.Trainers.Mlp(b).Fit(input),
            MlpMulticlassTrainer.Options m => ml.MulticlassClassification.Trainers.Mlp(m).Fit(input),
            MlpRegressionTrainer.Options r => ml.Regression.Trainers.Mlp(r).Fit(input),
            _ => throw new InvalidOperationException(),
        };
    }

    private T Columns<T>(T options) where T : MlpOptionsBase
    {
        options.LabelColumnName = Featurizer.Label;
        options.FeatureColumnName = Featurizer.Features;
        options.Seed = seed;
        return options;
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => task switch
    {
        ArenaTask.Binary => ml.BinaryClassification.Trainers.Mlp(Columns(new MlpBinaryTrainer.Options())).GetOutputSchema(inputSchema),
        ArenaTask.Multiclass => ml.MulticlassClassification.Trainers.Mlp(Columns(new MlpMulticlassTrainer.Options())).GetOutputSchema(inputSchema),
        _ => ml.Regression.Trainers.Mlp(Columns(new MlpRegressionTrainer.Options())).GetOutputSchema(inputSchema),
    };
}
