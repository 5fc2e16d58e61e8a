using System.Globalization;

namespace MLNetBackprop;

/// <summary>The hyper-parameter values of one trial.</summary>
public sealed record TrialConfiguration
{
    /// <summary>The optimizer's base learning rate.</summary>
    public required double LearningRate { get; init; }

    /// <summary>The L2 penalty λ.</summary>
    public required float L2 { get; init; }

    /// <summary>Hidden-layer widths, input side first.</summary>
    public required int[] HiddenLayers { get; init; }

    /// <summary>Hidden activation.</summary>
    public required Activation Activation { get; init; }

    /// <summary>Optimizer name (see <see cref="MLNetBackprop.Optimizer.Names"/>).</summary>
    public required string Optimizer { get; init; }

    /// <summary>Dropout rate.</summary>
    public required float Dropout { get; init; }

    /// <summary>Batch normalisation on or off.</summary>
    public required bool BatchNorm { get; init; }

    /// <summary>Rows per mini-batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>How numeric features are encoded (default <see cref="MLNetBackprop.NumericEmbedding.None"/>).</summary>
    public NumericEmbedding NumericEmbedding { get; init; }

    /// <summary>A one-line summary, e.g. <c>[128,64] relu adam lr=0.001 L2=0 drop=0 bs=32</c> (<c>bn</c> when batch norm is on, <c>emb</c> with periodic embeddings).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{MlpSearchSpace.Shape(HiddenLayers),-9} {Activation.ToString().ToLowerInvariant(),-9} {Optimizer,-8} lr={LearningRate:0.###e0} L2={(L2 == 0 ? "0" : L2.ToString("0.#e0", CultureInfo.InvariantCulture)),-6} drop={Dropout:0.##} bs={BatchSize}{(BatchNorm ? " bn" : "")}{(NumericEmbedding == NumericEmbedding.Periodic ? " emb" : "")}");

    internal static TrialConfiguration From(MlpOptionsBase o) => new()
    {
        LearningRate = o.Optimizer.LearningRate,
        L2 = o.L2,
        HiddenLayers = [.. o.HiddenLayers],
        Activation = o.Activation,
        Optimizer = o.Optimizer.Name,
        Dropout = o.Dropout,
        BatchNorm = o.BatchNorm,
        BatchSize = o.BatchSize,
        NumericEmbedding = o.NumericEmbedding,
    };

    /// <summary>Writes these values into <paramref name="options"/>; the optimizer keeps <paramref name="baseOptimizer"/>'s other settings when it is the same rule.</summary>
    internal void ApplyTo(MlpOptionsBase options, Optimizer baseOptimizer)
    {
        var rule = string.Equals(Optimizer, baseOptimizer.Name, StringComparison.OrdinalIgnoreCase) ? baseOptimizer : MLNetBackprop.Optimizer.FromName(Optimizer);
        options.Optimizer = rule.LearningRate == LearningRate ? rule : rule.WithLearningRate(LearningRate);
        options.L2 = L2;
        options.HiddenLayers = [.. HiddenLayers];
        options.Activation = Activation;
        options.Dropout = Dropout;
        options.BatchNorm = BatchNorm;
        options.BatchSize = BatchSize;
        options.NumericEmbedding = NumericEmbedding;
    }
}
