using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace MLNetBackprop.Engine;

/// <summary>
/// Copying a mini-batch's rows out of the training matrix: rows in shuffled order, each a separate trip to
/// memory (usually a TLB miss too), so the copy waits on memory rather than on bandwidth. The kernel
/// keeps several rows in flight by prefetching the rows a few places ahead, and splits a large batch over
/// the <see cref="WorkerPool"/> (each thread copies a contiguous range of batch rows: a copy, so the result
/// does not depend on the thread count).
/// </summary>
internal static unsafe class GatherKernels
{
    /// <summary>How many rows ahead the copy prefetches.</summary>
    private const int Ahead = 6;

    /// <summary>Batches smaller than this many floats are copied on the calling thread (a dispatch costs ~1 µs).</summary>
    private const int ParallelFloats = 1 << 16;

    /// <summary>
    /// destination row i = source row rows[i], for i in [0, rows.Length); rows are <paramref name="width"/> floats.
    /// </summary>
    /// <param name="source">The matrix rows are read from (row-major, <paramref name="width"/> per row).</param>
    /// <param name="width">Floats per row.</param>
    /// <param name="rows">Which source rows, in batch order.</param>
    /// <param name="destination">Receives rows.Length × width floats.</param>
    public static void GatherRows(float[] source, int width, ArraySegment<int> rows, float[] destination)
    {
        int count = rows.Count;
        int threads = (long)count * width >= ParallelFloats ? Math.Min(Kernels.CurrentThreads, count) : 1;
        if (threads <= 1)
        {
            Copy(source, width, rows, destination, 0, count);
            return;
        }
        var work = PerThread<Work>.Rent();
        work.Set(source, width, rows, destination, threads);
        try { WorkerPool.Run(work, threads, threads); }
        finally
        {
            work.Clear();
            PerThread<Work>.Return(work);
        }
    }

    /// <summary>Copies batch rows [from, to).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Copy(float[] source, int width, ArraySegment<int> rows, float[] destination, int from, int to)
    {
        var order = rows.AsSpan();
        fixed (float* src = source)
        {
            if (Sse.IsSupported)
                for (int i = from; i < Math.Min(to, from + Ahead); i++) Prefetch(src + (long)order[i] * width, width);
            for (int i = from; i < to; i++)
            {
                if (Sse.IsSupported && i + Ahead < to) Prefetch(src + (long)order[i + Ahead] * width, width);
                source.AsSpan(order[i] * width, width).CopyTo(destination.AsSpan(i * width, width));
            }
        }
    }

    /// <summary>Asks for every cache line of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* row, int width)
    {
        for (int j = 0; j < width; j += 16) Sse.Prefetch0(row + j);
        Sse.Prefetch0(row + width - 1);
    }

    /// <summary>One batch's copy cut into contiguous ranges of batch rows (one reusable instance per thread: <see cref="PerThread{T}"/>).</summary>
    private sealed class Work : PoolWork
    {
        private float[] _source = [], _destination = [];
        private ArraySegment<int> _rows;
        private int _width, _parts;

        public void Set(float[] source, int width, ArraySegment<int> rows, float[] destination, int parts)
        {
            _source = source; _width = width; _rows = rows; _destination = destination; _parts = parts;
        }

        public override void Run(int index)
        {
            int count = _rows.Count;
            Copy(_source, _width, _rows, _destination, WorkerPool.RangeStart(index, count, _parts), WorkerPool.RangeStart(index + 1, count, _parts));
        }

        /// <summary>Drops the buffers (the instance stays with its thread).</summary>
        public void Clear()
        {
            _source = _destination = [];
            _rows = default;
        }
    }
}
