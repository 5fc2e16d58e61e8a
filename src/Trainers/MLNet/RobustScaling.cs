using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// Fits <see cref="FeatureNormalization.Robust"/>: per feature the median (offset) and 1/IQR (scale; 1/(½·range) where
/// the quartiles coincide, 0 for a constant feature), with quantiles interpolated linearly between order statistics
/// (numpy's default). The statistics come from a sample of the training rows — every k-th row in the order the rows
/// are read, at most <see cref="MaxSampleRows"/> rows and <see cref="MaxSampleValues"/> values — taken the same way
/// in memory and when streaming, so both paths fit the same numbers within a bounded memory.
/// </summary>
internal static class RobustScaling
{
    /// <summary>The most rows the quantiles are computed from (all rows below it).</summary>
    public const int MaxSampleRows = 1 << 16;

    /// <summary>The most feature values held for the quantiles (16 MB of floats).</summary>
    public const int MaxSampleValues = 1 << 22;

    /// <summary>k: row r of <paramref name="rows"/> (in reading order) is in the sample when r % k == 0.</summary>
    public static long Stride(long rows, int features)
    {
        long cap = Math.Clamp(MaxSampleValues / Math.Max(1, features), 1024, MaxSampleRows);
        return Math.Max(1, (rows + cap - 1) / cap);
    }

    /// <summary>The number of rows a sample with <see cref="Stride"/> takes from <paramref name="rows"/> rows.</summary>
    public static int SampleRows(long rows, long stride) => checked((int)((rows + stride - 1) / stride));

    /// <summary>Fits from the rows of <paramref name="x"/> (in memory), sampling with <see cref="Stride"/>.</summary>
    public static FeatureTransform Fit(Matrix x)
    {
        int d = x.Columns;
        long stride = Stride(x.Rows, d);
        var sample = new Sample(d, SampleRows(x.Rows, stride));
        for (int r = 0; r < x.Rows; r += (int)stride) sample.Add(x.Row(r));
        return sample.Fit();
    }

    /// <summary>Rows collected column by column, then reduced to the robust statistics.</summary>
    internal sealed class Sample(int features, int capacity)
    {
        private readonly float[][] _columns = Enumerable.Range(0, features).Select(_ => new float[capacity]).ToArray();
        private int _rows;

        public void Add(ReadOnlySpan<float> row)
        {
            if (_rows == capacity) throw new InvalidOperationException($"The robust-scaling sample is full ({capacity} rows); the data yielded more rows than on the counting pass.");
            for (int j = 0; j < _columns.Length; j++) _columns[j][_rows] = row[j];
            _rows++;
        }

        public FeatureTransform Fit()
        {
            if (_rows != capacity) throw new InvalidOperationException($"The robust-scaling pass saw {_rows} sampled rows; the counting pass implied {capacity}. The data must yield the same rows on every pass.");
            int d = _columns.Length;
            var offsets = new float[d];
            var scales = new float[d];
            for (int j = 0; j < d; j++)
            {
                var v = _columns[j];
                Array.Sort(v);
                double median = Quantile(v, 0.5), iqr = Quantile(v, 0.75) - Quantile(v, 0.25);
                double spread = iqr > 0 ? iqr : 0.5 * ((double)v[^1] - v[0]);
                offsets[j] = (float)median;
                // A constant feature carries nothing: scale 0 sends it in as 0 (and an infinite 1/spread is never formed).
                double scale = spread > 0 ? 1 / spread : 0;
                scales[j] = float.IsFinite((float)scale) ? (float)scale : 0f;
            }
            return new FeatureTransform(offsets, scales, smoothClip: true);
        }
    }

    /// <summary>The p-quantile of sorted values, interpolating linearly at position p·(n − 1) (numpy's "linear").</summary>
    internal static double Quantile(float[] sorted, double p)
    {
        double pos = p * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * ((double)sorted[hi] - sorted[lo]);
    }
}
