namespace MLNetBackprop;

/// <summary>
/// The one place the trainers' recipe defaults live: what each <see cref="MlpPreset"/> sets on a new options object.
/// Options that are not part of a recipe (columns, seed, threads, memory, checkpoints…) have their defaults on the
/// property itself.
/// </summary>
public static class MlpPresets
{
    /// <summary>Sets every recipe option of <paramref name="options"/> to <paramref name="preset"/>'s value for its task.</summary>
    /// <param name="options">The options to set (binary, multiclass or regression).</param>
    /// <param name="preset">The preset.</param>
    /// <exception cref="ArgumentOutOfRangeException">The preset is unknown.</exception>
    public static void Apply(MlpOptionsBase options, MlpPreset preset)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool regression = options is MlpRegressionTrainer.Options;
        switch (preset)
        {
            case MlpPreset.Tabular:
                options.HiddenLayers = [64, 64];
                options.Activation = regression ? Activation.Mish : Activation.Selu;
                options.Optimizer = Optimizer.Adam(regression ? 0.07 : 0.04, beta2: 0.95);
                options.Schedule = LearningRateSchedule.CosLog(4);
                options.WeightInit = WeightInit.Auto;
                options.Parametrization = Parametrization.NeuralTangent;
                options.LearnFeatureScales = true;
                options.FeatureNormalization = FeatureNormalization.Robust;
                options.NumericEmbedding = NumericEmbedding.Periodic;
                options.Dropout = 0;
                options.L2 = 0;
                options.BatchNorm = false;
                options.BatchSize = 256;
                options.Epochs = null;
                options.ValidationFraction = 0.2f;
                options.EarlyStopping = null;
                options.EnsembleSize = 4;
                SetLabelSmoothing(options, 0.1f);
                break;
            case MlpPreset.Classic:
                options.HiddenLayers = [128, 64];
                options.Activation = Activation.Relu;
                options.Optimizer = Optimizer.Adam();
                options.Schedule = LearningRateSchedule.Constant();
                options.WeightInit = WeightInit.Auto;
                options.Parametrization = Parametrization.Standard;
                options.LearnFeatureScales = false;
                options.FeatureNormalization = FeatureNormalization.Standard;
                options.NumericEmbedding = NumericEmbedding.None;
                options.Dropout = 0;
                options.L2 = 1e-3f;
                options.BatchNorm = false;
                options.BatchSize = 32;
                options.Epochs = 100;
                options.ValidationFraction = 0;
                options.EarlyStopping = new EarlyStopping();
                options.EnsembleSize = 1;
                SetLabelSmoothing(options, 0f);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(preset), preset, "Unknown preset; valid presets: Tabular, Classic.");
        }
    }

    private static void SetLabelSmoothing(MlpOptionsBase options, float epsilon)
    {
        switch (options)
        {
            case MlpBinaryTrainer.Options b: b.LabelSmoothing = epsilon; break;
            case MlpMulticlassTrainer.Options m: m.LabelSmoothing = epsilon; break;
        }
    }
}
