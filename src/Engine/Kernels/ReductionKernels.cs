using System.Numerics.Tensors;

namespace MLNetBackprop.Engine;

internal static partial class Kernels
{
    /// <summary>Values per partial sum of <see cref="Norm(ReadOnlySpan{float})"/> (summed in float, then added in double in order).</summary>
    private const int NormChunk = 4096;

    /// <summary>The Euclidean norm of <paramref name="values"/>, accumulated in double.</summary>
    /// <param name="values">The values.</param>
    public static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i += NormChunk)
        {
            var part = values.Slice(i, Math.Min(NormChunk, values.Length - i));
            sum += TensorPrimitives.SumOfSquares(part);
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// As <see cref="Norm(ReadOnlySpan{float})"/>, bit for bit, with a large buffer's partial sums split over the
    /// <see cref="WorkerPool"/> (each thread reads the part of a gradient it usually wrote itself); the partials are
    /// still added in order.
    /// </summary>
    /// <param name="values">The values.</param>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static double Norm(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int chunks = (values.Length + NormChunk - 1) / NormChunk;
        int threads = values.Length >= 1 << 16 ? Math.Min(CurrentThreads, chunks) : 1;
        if (threads <= 1) return Norm(values.AsSpan());
        var work = PerThread<NormParts>.Rent();
        work.Set(values, chunks, threads);
        try
        {
            WorkerPool.Run(work, threads, threads);
            double sum = 0;
            for (int c = 0; c < chunks; c++) sum += work.Partials[c];
            return Math.Sqrt(sum);
        }
        finally
        {
            work.Clear();
            PerThread<NormParts>.Return(work);
        }
    }

    /// <summary>The partial sums of squares of one buffer, cut into one contiguous range of chunks per thread (one reusable instance per thread: <see cref="PerThread{T}"/>).</summary>
    private sealed class NormParts : PoolWork
    {
        private float[] _values = [];
        private int _chunks, _parts;

        /// <summary>Chunk c's sum of squares (summed in float, as the sequential loop does).</summary>
        public float[] Partials { get; private set; } = [];

        public void Set(float[] values, int chunks, int parts)
        {
            if (Partials.Length < chunks) Partials = new float[chunks];
            _values = values;
            _chunks = chunks;
            _parts = parts;
        }

        /// <summary>Drops the buffer (the instance stays with its thread).</summary>
        public void Clear() => _values = [];

        public override void Run(int index)
        {
            int c0 = WorkerPool.RangeStart(index, _chunks, _parts), c1 = WorkerPool.RangeStart(index + 1, _chunks, _parts);
            for (int c = c0; c < c1; c++)
            {
                int start = c * NormChunk;
                Partials[c] = TensorPrimitives.SumOfSquares(_values.AsSpan(start, Math.Min(NormChunk, _values.Length - start)));
            }
        }
    }

    /// <summary>Numerically stable softmax of one row, in place (the maximum is subtracted first).</summary>
    /// <param name="row">Logits in, probabilities out.</param>
    public static void SoftmaxInPlace(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
    }
}

