namespace MLNetBackprop.Engine;

/// <summary>Loss and one metric of a network on a dataset, in inference mode, batch by batch.</summary>
public static class Evaluator
{
    /// <summary>The mean loss (no L2 term) and the metric named by <paramref name="monitor"/> (the loss itself for <see cref="ValidationMonitor.Loss"/>).</summary>
    /// <param name="network">The network.</param>
    /// <param name="data">The data.</param>
    /// <param name="monitor">Which metric.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <exception cref="ArgumentException">The monitor does not fit the network's loss and the data's targets (see <see cref="CheckMonitor"/>).</exception>
    public static (double Loss, double Metric) Evaluate(Network network, Dataset data, ValidationMonitor monitor, int batchSize = 256)
        => Evaluate(network, (ITrainingRows)data, monitor, batchSize);

    /// <summary>
    /// As <see cref="Evaluate(Network, Dataset, ValidationMonitor, int)"/>, on any rows (in memory or streamed), read once in
    /// storage order; only the predictions and targets a metric needs are kept.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="data">The data.</param>
    /// <param name="monitor">Which metric.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <exception cref="ArgumentException">The monitor does not fit the network's loss and the data's targets (see <see cref="CheckMonitor"/>).</exception>
    public static (double Loss, double Metric) Evaluate(Network network, ITrainingRows data, ValidationMonitor monitor, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        CheckMonitor(network, data.TargetWidth, monitor);
        int outputs = network.OutputSize, tw = data.TargetWidth;
        int n = checked((int)data.Rows);
        batchSize = Math.Max(1, Math.Min(batchSize, n));
        var grad = new Matrix(batchSize, outputs);
        var predictions = monitor == ValidationMonitor.Loss ? null : new float[checked(n * outputs)];
        var targets = monitor == ValidationMonitor.Loss ? null : new float[checked(n * tw)];
        double lossSum = 0, weightSum = 0;
        int start = 0;
        foreach (var batch in data.Batches(RowOrder.Storage, batchSize))
        {
            int rows = batch.Rows;
            grad.SetRows(rows);
            var output = network.Forward(batch.Features, training: false);
            double batchWeight = batch.Weights is null ? rows : Sum(batch.WeightSpan);
            lossSum += network.Loss.Compute(output, batch.TargetSpan, batch.WeightSpan, grad) * batchWeight;
            weightSum += batchWeight;
            if (predictions is not null)
            {
                batch.TargetSpan.CopyTo(targets.AsSpan(start * tw));
                network.Loss.Predict(output);
                output.Span.CopyTo(predictions.AsSpan(start * outputs));
            }
            start += rows;
        }
        double loss = lossSum / Math.Max(weightSum, double.Epsilon);
        double metric = monitor switch
        {
            ValidationMonitor.Loss => loss,
            ValidationMonitor.Accuracy => Metrics.Accuracy(predictions!, targets!, outputs, tw),
            ValidationMonitor.Auc => Metrics.Auc(predictions!, targets!),
            ValidationMonitor.RSquared => Metrics.RSquared(predictions!, targets!),
            _ => throw new ArgumentOutOfRangeException(nameof(monitor)),
        };
        return (loss, metric);
    }

    /// <summary>
    /// Checks that <paramref name="monitor"/> can be computed for <paramref name="network"/>'s outputs and targets of
    /// <paramref name="targetWidth"/> values per row: <see cref="ValidationMonitor.Loss"/> always;
    /// <see cref="ValidationMonitor.Accuracy"/> for a classification loss (softmax with one class index per row, or
    /// sigmoid with one output); <see cref="ValidationMonitor.Auc"/> for sigmoid cross-entropy with one output and one
    /// target; <see cref="ValidationMonitor.RSquared"/> for a regression loss (mean squared error, Huber) with one
    /// target per output.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="targetWidth">Targets per row of the data.</param>
    /// <param name="monitor">The monitor.</param>
    /// <exception cref="ArgumentException">The monitor does not fit (the message names the loss, outputs and targets per row).</exception>
    public static void CheckMonitor(Network network, int targetWidth, ValidationMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(network);
        var loss = network.Spec.Loss;
        int outputs = network.OutputSize;
        bool ok = monitor switch
        {
            ValidationMonitor.Loss => true,
            ValidationMonitor.Accuracy => (loss == LossKind.SoftmaxCrossEntropy && targetWidth == 1)
                                          || (loss == LossKind.SigmoidCrossEntropy && outputs == 1 && targetWidth == 1),
            ValidationMonitor.Auc => loss == LossKind.SigmoidCrossEntropy && outputs == 1 && targetWidth == 1,
            ValidationMonitor.RSquared => loss is LossKind.MeanSquaredError or LossKind.Huber && targetWidth == outputs,
            _ => throw new ArgumentOutOfRangeException(nameof(monitor), monitor, "Unknown monitor."),
        };
        if (!ok)
            throw new ArgumentException($"Validation monitor {monitor} does not fit a network with loss {loss} and {outputs} output(s) evaluated on {targetWidth} target(s) per row " +
                "(Accuracy: softmax with one class index per row, or sigmoid with one output; Auc: sigmoid with one output; RSquared: mean squared error or Huber with one target per output).", nameof(monitor));
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double s = 0;
        foreach (float v in values) s += v;
        return s;
    }
}
