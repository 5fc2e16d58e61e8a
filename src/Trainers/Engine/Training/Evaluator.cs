namespace MLNetBackprop.Engine;

/// <summary>Loss and one metric of a network on a dataset, in inference mode, batch by batch.</summary>
public static class Evaluator
{
    /// <summary>The mean loss (no L2 term) and the metric named by <paramref name="monitor"/> (the loss itself for <see cref="ValidationMonitor.Loss"/>).</summary>
    /// <param name="network">The network.</param>
    /// <param name="data">The data.</param>
    /// <param name="monitor">Which metric.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    public static (double Loss, double Metric) Evaluate(Network network, Dataset data, ValidationMonitor monitor, int batchSize = 256)
    {
        int n = data.Rows, tw = data.TargetWidth, outputs = network.OutputSize;
        batchSize = Math.Max(1, Math.Min(batchSize, n));
        var x = new Matrix(batchSize, data.Features.Columns);
        var grad = new Matrix(batchSize, outputs);
        var predictions = monitor == ValidationMonitor.Loss ? null : new float[n * outputs];
        double lossSum = 0, weightSum = 0;
        for (int start = 0; start < n; start += batchSize)
        {
            int rows = Math.Min(batchSize, n - start);
            x.SetRows(rows);
            grad.SetRows(rows);
            data.Features.Span.Slice(start * data.Features.Columns, rows * data.Features.Columns).CopyTo(x.Span);
            var output = network.Forward(x, training: false);
            var weights = data.Weights is null ? default : data.Weights.AsSpan(start, rows);
            double batchWeight = data.Weights is null ? rows : Sum(weights);
            lossSum += network.Loss.Compute(output, data.Targets.AsSpan(start * tw, rows * tw), weights, grad) * batchWeight;
            weightSum += batchWeight;
            if (predictions is not null)
            {
                network.Loss.Predict(output);
                output.Span.CopyTo(predictions.AsSpan(start * outputs));
            }
        }
        double loss = lossSum / Math.Max(weightSum, double.Epsilon);
        double metric = monitor switch
        {
            ValidationMonitor.Loss => loss,
            ValidationMonitor.Accuracy => Metrics.Accuracy(predictions!, data.Targets, outputs, tw),
            ValidationMonitor.Auc => Metrics.Auc(predictions!, data.Targets),
            ValidationMonitor.RSquared => Metrics.RSquared(predictions!, data.Targets),
            _ => throw new ArgumentOutOfRangeException(nameof(monitor)),
        };
        return (loss, metric);
    }

    /// <summary>As <see cref="Evaluate(Network, Dataset, ValidationMonitor, int)"/>, on any rows, read once in storage order (streamed rows keep only the predictions and targets a metric needs).</summary>
    /// <param name="network">The network.</param>
    /// <param name="data">The data.</param>
    /// <param name="monitor">Which metric.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    public static (double Loss, double Metric) Evaluate(Network network, ITrainingRows data, ValidationMonitor monitor, int batchSize = 256)
    {
        if (data is Dataset dataset) return Evaluate(network, dataset, monitor, batchSize);
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

    private static double Sum(ReadOnlySpan<float> values)
    {
        double s = 0;
        foreach (float v in values) s += v;
        return s;
    }
}
