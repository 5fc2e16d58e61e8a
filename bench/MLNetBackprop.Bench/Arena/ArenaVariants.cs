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
        // Exactly what a user gets from Mlp(): no options at all.
        ["default"] = (_, _) => null,

        // A 10 % stratified hold-out: best epoch kept, early stopping (patience 10 on validation loss).
        ["holdout10"] = Shared(o => o.ValidationFraction = 0.1f),

        // No hidden layer: a linear model trained by the same loop (a sanity reference next to the linear peers).
        ["linear"] = Shared(o => o.HiddenLayers = []),
    };

    /// <summary>A new options object of the task's type with its defaults.</summary>
    public static MlpOptionsBase New(ArenaTask task) => task switch
    {
        ArenaTask.Binary => new MlpBinaryTrainer.Options(),
        ArenaTask.Multiclass => new MlpMulticlassTrainer.Options(),
        _ => new MlpRegressionTrainer.Options(),
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
        if (!Table.TryGetValue(name, out var variant))
            throw new ArgumentException($"unknown Mlp variant '{name}'; known: {string.Join(", ", Table.Keys)} (defined in ArenaVariants.cs)");
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
