using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>Per-feature z-score standardisation and label scaling learned from the training rows (two-pass, in double).</summary>
internal static class Standardization
{
    public static (float[] Means, float[] Scales) Fit(Matrix x)
    {
        int n = x.Rows, d = x.Columns;
        var mean = new double[d];
        var m2 = new double[d];
        for (int r = 0; r < n; r++)
        {
            var row = x.Row(r);
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int r = 0; r < n; r++)
        {
            var row = x.Row(r);
            for (int j = 0; j < d; j++) { double t = row[j] - mean[j]; m2[j] += t * t; }
        }
        var means = new float[d];
        var scales = new float[d];
        for (int j = 0; j < d; j++)
        {
            double sd = Math.Sqrt(m2[j] / n);
            means[j] = (float)mean[j];
            // A constant feature carries no information: centre it and leave its scale alone.
            scales[j] = sd > 1e-12 ? (float)(1 / sd) : 1f;
        }
        return (means, scales);
    }

    public static void Apply(Matrix x, float[] means, float[] scales)
    {
        for (int r = 0; r < x.Rows; r++)
        {
            var row = x.Row(r);
            for (int j = 0; j < row.Length; j++) row[j] = (row[j] - means[j]) * scales[j];
        }
    }

    public static (float Mean, float Scale) FitLabel(ReadOnlySpan<float> y)
    {
        double mean = 0;
        foreach (float v in y) mean += v;
        mean /= y.Length;
        double m2 = 0;
        foreach (float v in y) m2 += (v - mean) * (v - mean);
        double sd = Math.Sqrt(m2 / y.Length);
        return ((float)mean, sd > 1e-12 ? (float)sd : 1f);
    }

    public static void ApplyLabel(Span<float> y, float mean, float scale)
    {
        for (int i = 0; i < y.Length; i++) y[i] = (y[i] - mean) / scale;
    }
}
