namespace MLNetBackprop.Engine;

/// <summary>Plain metric formulas used for validation monitoring (ML.NET's evaluators are used for final reports).</summary>
public static class Metrics
{
    /// <summary>Fraction of rows whose arg-max prediction equals the target (class index, or 0/1 threshold 0.5 for one output).</summary>
    /// <param name="predictions">rows × outputs probabilities.</param>
    /// <param name="targets">Class indices, or 0/1 targets for a single output.</param>
    /// <param name="outputs">Outputs per row.</param>
    /// <param name="targetWidth">Targets per row.</param>
    public static double Accuracy(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int outputs, int targetWidth)
    {
        int n = predictions.Length / outputs, correct = 0;
        for (int i = 0; i < n; i++)
        {
            var row = predictions.Slice(i * outputs, outputs);
            int predicted;
            if (outputs == 1) predicted = row[0] >= 0.5f ? 1 : 0;
            else
            {
                predicted = 0;
                for (int c = 1; c < outputs; c++) if (row[c] > row[predicted]) predicted = c;
            }
            int target = outputs == 1 ? (targets[i * targetWidth] >= 0.5f ? 1 : 0) : (int)targets[i * targetWidth];
            if (predicted == target) correct++;
        }
        return n == 0 ? 0 : (double)correct / n;
    }

    /// <summary>Area under the ROC curve of scores against 0/1 targets (ties count one half).</summary>
    /// <param name="scores">One score per row.</param>
    /// <param name="targets">0/1 per row.</param>
    public static double Auc(ReadOnlySpan<float> scores, ReadOnlySpan<float> targets)
    {
        int n = scores.Length;
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        var s = scores.ToArray();
        Array.Sort(idx, (a, b) => s[a].CompareTo(s[b]));
        double rankSumPositive = 0;
        long positives = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && s[idx[j + 1]] == s[idx[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
                if (targets[idx[k]] >= 0.5f) { rankSumPositive += rank; positives++; }
            i = j + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return 0.5;
        return (rankSumPositive - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Coefficient of determination 1 − SS_res/SS_tot.</summary>
    /// <param name="predictions">Predicted values.</param>
    /// <param name="targets">True values, same layout.</param>
    public static double RSquared(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
    {
        int n = predictions.Length;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += targets[i];
        mean /= Math.Max(1, n);
        double ssRes = 0, ssTot = 0;
        for (int i = 0; i < n; i++)
        {
            double r = targets[i] - predictions[i], d = targets[i] - mean;
            ssRes += r * r;
            ssTot += d * d;
        }
        return ssTot == 0 ? 0 : 1 - ssRes / ssTot;
    }
}
