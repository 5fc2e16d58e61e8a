using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>Per-feature z-score standardisation and label scaling learned from the training rows (two-pass, in double).</summary>
internal static class Standardization
{
    public static FeatureTransform Fit(Matrix x)
    {
        var moments = new Moments(x.Columns);
        for (int r = 0; r < x.Rows; r++) moments.AddToMean(x.Row(r));
        moments.EndMeanPass();
        for (int r = 0; r < x.Rows; r++) moments.AddToVariance(x.Row(r));
        return moments.FeatureScaling();
    }

    /// <summary>
    /// Two-pass mean and population standard deviation per column, in double, fed row by row — the same
    /// arithmetic in the same order whether the rows come from memory or from a stream, so a streamed
    /// training run standardises exactly as an in-memory one.
    /// </summary>
    internal sealed class Moments(int columns)
    {
        private readonly double[] _mean = new double[columns];
        private readonly double[] _m2 = new double[columns];
        private long _n, _n2;

        public void AddToMean(ReadOnlySpan<float> row)
        {
            for (int j = 0; j < _mean.Length; j++) _mean[j] += row[j];
            _n++;
        }

        public void EndMeanPass()
        {
            for (int j = 0; j < _mean.Length; j++) _mean[j] /= _n;
        }

        public void AddToVariance(ReadOnlySpan<float> row)
        {
            for (int j = 0; j < _m2.Length; j++) { double t = row[j] - _mean[j]; _m2[j] += t * t; }
            _n2++;
        }

        private double Sd(int j)
        {
            if (_n2 != _n) throw new InvalidOperationException($"The second pass saw {_n2} rows; the first saw {_n}. The data must yield the same rows on every pass.");
            return Math.Sqrt(_m2[j] / _n);
        }

        /// <summary>Feature means and scales (1/sd; 1 for a constant feature), no clipping.</summary>
        public FeatureTransform FeatureScaling()
        {
            var means = new float[_mean.Length];
            var scales = new float[_mean.Length];
            for (int j = 0; j < means.Length; j++)
            {
                double sd = Sd(j);
                means[j] = (float)_mean[j];
                // A constant feature carries no information: centre it and leave its scale alone.
                scales[j] = sd > 1e-12 ? (float)(1 / sd) : 1f;
            }
            return new FeatureTransform(means, scales, smoothClip: false);
        }

        /// <summary>Label mean and scale (sd; 1 for a constant label) of column 0.</summary>
        public (float Mean, float Scale) LabelScaling()
        {
            double sd = Sd(0);
            return ((float)_mean[0], sd > 1e-12 ? (float)sd : 1f);
        }
    }

    public static (float Mean, float Scale) FitLabel(ReadOnlySpan<float> y)
    {
        var moments = new Moments(1);
        for (int i = 0; i < y.Length; i++) moments.AddToMean(y.Slice(i, 1));
        moments.EndMeanPass();
        for (int i = 0; i < y.Length; i++) moments.AddToVariance(y.Slice(i, 1));
        return moments.LabelScaling();
    }

    public static void ApplyLabel(Span<float> y, float mean, float scale)
    {
        for (int i = 0; i < y.Length; i++) y[i] = (y[i] - mean) / scale;
    }
}
