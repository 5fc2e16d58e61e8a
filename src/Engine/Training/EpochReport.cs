namespace MLNetBackprop;

/// <summary>What happened in one training epoch; a <see cref="TrainingHistory"/> keeps one per epoch.</summary>
public sealed record EpochReport
{
    /// <summary>The ensemble member the report is about, from 0 (always 0 for a single network).</summary>
    public int Member { get; init; }

    /// <summary>Epoch number, from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>Mean training loss over the epoch's batches (including any L2 penalty).</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Loss on the validation data, when there is some.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>The monitored validation metric (accuracy, AUC, R², or the loss), when there is validation data.</summary>
    public double? ValidationMetric { get; init; }

    /// <summary>The learning rate used during the epoch (at its last step).</summary>
    public required double LearningRate { get; init; }

    /// <summary>Time since training started, at the end of this epoch.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Mean over the epoch's batches of each affine layer's weight-gradient norm, input layer first.</summary>
    public required double[] GradientNorms { get; init; }
}
