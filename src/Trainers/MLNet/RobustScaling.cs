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
        long cap = Math.Clamp(MaxSampleValues / Math.Max(1, features), 1, MaxSampleRows);
        return Math.Max(1, (rows + cap - 1) / cap);
    }

    /// <summary>The number of rows a sample with <see cref="Stride"/> takes from <paramref name="rows"/> rows.</summary>
    public static int SampleRows(long rows, long stride) => checked((int)((rows + stride - 1) / stride));

    /// <summary>Fits from the rows of <paramref name="x"/> (in memory), sampling with <see cref="Stride"/>.</summary>
    public static FeatureTransform Fit(Matrix x) => TakeSample(x).Fit();

    /// <summary>The sample of the rows of <paramref name="x"/> (in memory) every statistic here is computed from.</summary>
    public static Sample TakeSample(Matrix x)
    {
        int d = x.Columns;
        long stride = Stride(x.Rows, d);
        var sample = new Sample(d, SampleRows(x.Rows, stride));
        for (int r = 0; r < x.Rows; r += (int)stride) sample.Add(x.Row(r));
        return sample;
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

        private bool _sorted;

        private void Sort()
        {
            if (_rows != capacity) throw new InvalidOperationException($"The robust-scaling pass saw {_rows} sampled rows; the counting pass implied {capacity}. The data must yield the same rows on every pass.");
            if (_sorted) return;
            foreach (var column in _columns) Array.Sort(column);
            _sorted = true;
        }

        /// <summary>
        /// The features with more than two distinct values in the sample, ascending: the numeric ones, which periodic
        /// embeddings serve (one-hot levels and binary flags have two values, and a linear map already sees all of them).
        /// </summary>
        public int[] NumericFeatures()
        {
            Sort();
            var numeric = new List<int>();
            for (int j = 0; j < _columns.Length; j++)
            {
                var v = _columns[j];
                int distinct = v.Length == 0 ? 0 : 1;
                for (int i = 1; i < v.Length && distinct <= 2; i++) if (v[i] != v[i - 1]) distinct++;
                if (distinct > 2) numeric.Add(j);
            }
            return [.. numeric];
        }

        public FeatureTransform Fit()
        {
            Sort();
            int d = _columns.Length;
            var offsets = new float[d];
            var scales = new float[d];
            for (int j = 0; j < d; j++)
            {
                var v = _columns[j];
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
