using Microsoft.ML;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// The Mlp configurations the arena can run (<c>--mlp name,name,...</c>), one table:
/// name → (task, split seed) → the options object for that task, or null for the catalog default
/// (<c>Trainers.Mlp()</c> with only the label and feature column names — exactly what a user gets from <c>Mlp()</c>).
///
/// To add a variant, add one line to <see cref="Table"/>:
/// <code>
///   ["wide"]  = Shared(o => o.HiddenLayers = [256, 128]),                  // the same options for every task
///   ["huber"] = PerTask(regression: o => o.Loss = RegressionLoss.Huber),   // only for one task; the others get the defaults
///   ["mine"]  = (task, seed) => task == ArenaTask.Binary ? new MlpBinaryTrainer.Options { Epochs = 50 } : null,
/// </code>
/// The harness fills in what a variant leaves unset: <c>Seed</c> (null → the split seed; the no-options default
/// gets it through <c>new MLContext(seed)</c>), and the column names "Label" / "Features".
/// </summary>
public static class ArenaVariants
{
    public delegate MlpOptionsBase? Variant(ArenaTask task, int seed);

    public static readonly IReadOnlyDictionary<string, Variant> Table = new Dictionary<string, Variant>(StringComparer.OrdinalIgnoreCase)
    {
        // Exactly what a user gets from Mlp(): no options at all (the tabular preset).
        ["default"] = (_, _) => null,

        // The release before the tabular recipe, in one line: new Options(MlpPreset.Classic).
        ["classic"] = (task, _) => New(task, MlpPreset.Classic),

        // Ablations of the recipe, one piece at a time.
        ["single"] = Shared(o => o.EnsembleSize = 1),                                   // one network instead of 4
        ["no-embedding"] = Shared(o => o.NumericEmbedding = NumericEmbedding.None),     // without periodic embeddings
        ["k8"] = Shared(o => o.EnsembleSize = 8),                                       // 8 networks instead of 4
        ["wide"] = Shared(o => o.HiddenLayers = [128, 128]),                            // wider networks
        ["zscore"] = Shared(o => o.FeatureNormalization = FeatureNormalization.Standard), // z-scores instead of robust scaling + clip

        // No hidden layer: a linear model trained by the same loop (a sanity reference next to the linear peers).
        ["linear"] = Shared(o => o.HiddenLayers = []),
    };

    /// <summary>
    /// Contestants that are not an options object: "search" runs <see cref="MlpSearch"/> with a small budget on the
    /// training split (9 trials, single networks, successive halving; its validation rows are carved from the training
    /// split) and then trains the winner — the defaults' ensemble size — on the whole training split; its fit time is both.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Func<MLContext, ArenaTask, int, IEstimator<ITransformer>>> Special =
        new Dictionary<string, Func<MLContext, ArenaTask, int, IEstimator<ITransformer>>>(StringComparer.OrdinalIgnoreCase)
        {
            ["search"] = (ml, task, seed) => new SearchingEstimator(ml, task, seed, new SearchSettings { Trials = 9, Seed = seed }),
        };

    /// <summary>A new options object of the task's type with a preset's defaults.</summary>
    public static MlpOptionsBase New(ArenaTask task, MlpPreset preset = MlpPreset.Tabular) => task switch
    {
        ArenaTask.Binary => new MlpBinaryTrainer.Options(preset),
        ArenaTask.Multiclass => new MlpMulticlassTrainer.Options(preset),
        _ => new MlpRegressionTrainer.Options(preset),
    };

    /// <summary>The same settings (of the options every task shares) for every task.</summary>
    public static Variant Shared(Action<MlpOptionsBase> set) => (task, _) =>
    {
        var o = New(task);
        set(o);
        return o;
    };

    /// <summary>Task-specific settings; a task without an action gets its options with their defaults (and <paramref name="shared"/>).</summary>
    public static Variant PerTask(Action<MlpBinaryTrainer.Options>? binary = null, Action<MlpMulticlassTrainer.Options>? multiclass = null,
        Action<MlpRegressionTrainer.Options>? regression = null, Action<MlpOptionsBase>? shared = null) => (task, _) =>
    {
        var o = New(task);
        shared?.Invoke(o);
        switch (o)
        {
            case MlpBinaryTrainer.Options b: binary?.Invoke(b); break;
            case MlpMulticlassTrainer.Options m: multiclass?.Invoke(m); break;
            case MlpRegressionTrainer.Options r: regression?.Invoke(r); break;
        }
        return o;
    };

    /// <summary>The arena contestant for a variant name.</summary>
    public static ArenaTrainer Trainer(string name)
    {
        if (Special.TryGetValue(name, out var special))
            return new ArenaTrainer(name, true, _ => $"Mlp[{name}]", special);
        if (!Table.TryGetValue(name, out var variant))
            throw new ArgumentException($"unknown Mlp variant '{name}'; known: {string.Join(", ", Table.Keys.Concat(Special.Keys))} (defined in ArenaVariants.cs)");
        return new ArenaTrainer(name, true, _ => $"Mlp[{name}]", (ml, task, seed) => Build(ml, task, seed, variant(task, seed), name));
    }

    private static Microsoft.ML.IEstimator<Microsoft.ML.ITransformer> Build(Microsoft.ML.MLContext ml, ArenaTask task, int seed, MlpOptionsBase? options, string name)
    {
        const string label = Featurizer.Label, features = Featurizer.Features;
        if (options is null)
            return task switch
            {
                ArenaTask.Binary => ml.BinaryClassification.Trainers.Mlp(labelColumnName: label, featureColumnName: features),
                ArenaTask.Multiclass => ml.MulticlassClassification.Trainers.Mlp(labelColumnName: label, featureColumnName: features),
                _ => ml.Regression.Trainers.Mlp(labelColumnName: label, featureColumnName: features),
            };
        options.Seed ??= seed;
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        return (task, options) switch
        {
            (ArenaTask.Binary, MlpBinaryTrainer.Options b) => ml.BinaryClassification.Trainers.Mlp(b),
            (ArenaTask.Multiclass, MlpMulticlassTrainer.Options m) => ml.MulticlassClassification.Trainers.Mlp(m),
            (ArenaTask.Regression, MlpRegressionTrainer.Options r) => ml.Regression.Trainers.Mlp(r),
            _ => throw new ArgumentException($"Mlp variant '{name}' returned {options.GetType().FullName} for a {task.Name()} task"),
        };
    }
}
