using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MLNetBackprop.Engine;

/// <summary>
/// Blocked, register-tiled single-precision GEMM behind <see cref="Kernels.MatMul"/>,
/// <see cref="Kernels.MatMulTransposeA"/> and <see cref="Kernels.MatMulTransposeB"/>.
/// </summary>
/// <remarks>
/// <para>Layout (BLIS style): op(B) (k×n) is packed once per call into 16-column slivers, one
/// contiguous kc×16 run per (k-block, sliver), padded with zeros (split by columns over threads, each
/// thread packs its own slivers); each output tile packs its rows of op(A) per k-block, at most
/// <see cref="McSliversMax"/> slivers at a time, into 6-row slivers (kc×6, column-major inside the
/// sliver) in a thread-local buffer. A 6×16 micro-kernel keeps the 6×16 block of C in twelve 256-bit accumulators and does
/// one broadcast + two FMAs per row per k step. The transposed variants differ only in how they
/// pack, so all three share the micro-kernel. In Aᵀ·B (TN) a full 6-row sliver of op(A) is already
/// contiguous per k step (6 consecutive floats of a row of A), so the kernel reads it in place with a
/// step of one row of A instead of packing it. (The AVX-512 kernel is the same with 6×32 tiles.)</para>
/// <para>Threads: a product is split only when each thread gets at least <see cref="MinFlopsPerThread"/>,
/// into one column range per thread when A has at most twice as many rows as B has columns, else into row
/// tiles; the tiles then go to the <see cref="WorkerPool"/> (the calling thread takes part and runs whatever a
/// busy helper does not claim).</para>
/// <para>Determinism: C[i,j] is always computed as C₀ (or 0) + Σ_p a[i,p]·b[p,j] with one FMA chain
/// per k-block in ascending p, k-blocks in ascending order; the k-blocking depends on k only. Threads
/// only split the set of output tiles (rows or columns of C), never k, and edge tiles go through the
/// same micro-kernel via a padded scratch tile, so the result is bit-identical for any
/// <see cref="Kernels.MaxThreads"/>.</para>
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>Rows per micro-tile.</summary>
    internal const int MR = 6;
    /// <summary>Columns per micro-tile of the AVX2 kernel (two 256-bit vectors).</summary>
    internal const int NR256 = 16;
    /// <summary>Columns per micro-tile of the AVX-512 kernel (two 512-bit vectors).</summary>
    internal const int NR512 = 32;
    /// <summary>Largest k-block (packed A sliver 6×256 and B sliver 256×16 stay in L1).</summary>
    private const int KcMax = 256;
    /// <summary>Rows of A packed per task and k-block, in slivers (20 × 6 = 120 rows, ~120 KB).</summary>
    private const int McSliversMax = 20;
    /// <summary>
    /// Flops (2mnk) each thread must get before a product is split: ~1.5 MFLOP is ~7 µs of work at this
    /// kernel's ~200 GFLOP/s, well above the cost of a <see cref="WorkerPool"/> dispatch to a spinning helper
    /// (measured with the bench's <c>split</c> mode: at 2 threads a 2 MFLOP product takes 0.77× its 1-thread
    /// time, 8 MFLOP 0.6×; below ~1 MFLOP the gain is under a microsecond and not worth a helper being
    /// preempted in the middle of a tile).
    /// </summary>
    internal const long MinFlopsPerThread = 1_500_000;

    /// <summary>Which micro-kernel runs (tests may force a narrower one; all give bit-identical results).</summary>
    internal enum Isa { Scalar, Avx2, Avx512 }

    /// <summary>The widest micro-kernel this machine runs.</summary>
    internal static readonly Isa Best =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? Isa.Avx512
        : Fma.IsSupported && Avx2.IsSupported ? Isa.Avx2
        : Isa.Scalar;

    /// <summary>For tests and benchmarks: use a narrower micro-kernel than <see cref="Best"/> (null = best).</summary>
    internal static Isa? Force;

    private static Isa Current => Force is { } f && f < Best ? f : Best;

    [ThreadStatic] private static float[]? t_packA;

    internal enum Variant { NN, TN, NT }

    /// <summary>C (m×n) = op(A)·op(B) (+ C).</summary>
    internal static void Multiply(Variant v, float[] a, float[] b, float[] c, int m, int k, int n, bool accumulate, int maxThreads)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) c.AsSpan(0, m * n).Clear();
            return;
        }

        // k-blocking: balanced blocks of at most KcMax, a function of k only (determinism).
        int kBlocks = (k + KcMax - 1) / KcMax;
        int kc = (k + kBlocks - 1) / kBlocks;

        var isa = Current;
        int NR = isa == Isa.Avx512 ? NR512 : NR256;
        int mSlivers = (m + MR - 1) / MR;
        int nSlivers = (n + NR - 1) / NR;
        int nPad = nSlivers * NR;

        long flops = 2L * m * n * k;
        int threads = (int)Math.Clamp(flops / MinFlopsPerThread, 1, Math.Max(1, maxThreads));

        // Output tiles. One thread: row tiles of at most McSliversMax slivers. Several: split the output by columns
        // (each thread packs its own slivers of B, and all of A) when A has at most twice as many rows as B has
        // columns, else by rows (each thread packs its rows of A; B is packed once and read by every thread). Either
        // way one operand is read by every thread; this picks the smaller one, roughly (k·m against k·n). (Measured
        // with the bench's `split` mode: on a 2-vCPU guest the row split of a 128×784×256 product took 0.8× its
        // 1-thread time, the column split 0.6×.)
        int rowTiles = (mSlivers + McSliversMax - 1) / McSliversMax;
        int colTiles = 1;
        if (threads > 1 && m <= 2 * n && nSlivers >= threads)
        {
            rowTiles = 1; // a tile runs its rows in blocks of McSliversMax slivers (RunTile)
            colTiles = threads;
        }
        else if (threads > 1)
        {
            if (rowTiles % threads != 0) rowTiles = Math.Min(mSlivers, (rowTiles + threads - 1) / threads * threads);
            if (rowTiles < threads) colTiles = Math.Min(nSlivers, (threads + rowTiles - 1) / rowTiles);
            if (rowTiles * colTiles == 1) threads = 1;
        }

        var packB = ArrayPool<float>.Shared.Rent(k * nPad);
        var job = PerThread<Job>.Rent();
        try
        {
            job.Set(v, isa, a, b, c, m, k, n, accumulate, kc, mSlivers, nSlivers, nPad, rowTiles, colTiles, packB);
            if (threads == 1)
            {
                job.PackB(0);
                for (int t = 0; t < rowTiles * colTiles; t++) job.RunTile(t);
            }
            else
            {
                if (rowTiles == 1)
                {
                    // Column tiles: each packs its own slivers of B, in the same dispatch.
                    job.SelfPack = true;
                    job.PackChunks = colTiles;
                }
                else
                {
                    // Packing B is a copy: split it only when it is large (a dispatch costs ~1 µs).
                    job.PackChunks = (long)k * nPad >= 1 << 16 ? Math.Min(threads, nSlivers) : 1;
                    if (job.PackChunks > 1) WorkerPool.Run(job.PackBWork, job.PackChunks, threads);
                    else job.PackB(0);
                }
                WorkerPool.Run(job.TileWork, rowTiles * colTiles, threads);
            }
        }
        finally
        {
            job.Clear();
            PerThread<Job>.Return(job);
            ArrayPool<float>.Shared.Return(packB);
        }
    }

    /// <summary>State of one product, shared by its tasks (one reusable instance per thread: <see cref="PerThread{T}"/>).</summary>
    private sealed class Job
    {
        public readonly PoolWork PackBWork;
        public readonly PoolWork TileWork;
        public int PackChunks = 1;
        /// <summary>Column tiles pack their own slivers of B (<see cref="PackB"/> chunk = column tile) before computing.</summary>
        public bool SelfPack;

        private Variant _v;
        private Isa _isa;
        private int _nr;
        private float[] _a = [], _b = [], _c = [], _packB = [];
        private int _m, _k, _n, _kc, _mSlivers, _nSlivers, _nPad, _rowTiles, _colTiles;
        private bool _accumulate;

        public Job()
        {
            PackBWork = new PackBItems(this);
            TileWork = new TileItems(this);
        }

        private sealed class PackBItems(Job job) : PoolWork
        {
            public override void Run(int index) => job.PackB(index);
        }

        private sealed class TileItems(Job job) : PoolWork
        {
            public override void Run(int index) => job.RunTile(index);
        }

        public void Set(Variant v, Isa isa, float[] a, float[] b, float[] c, int m, int k, int n, bool accumulate,
            int kc, int mSlivers, int nSlivers, int nPad, int rowTiles, int colTiles, float[] packB)
        {
            _v = v; _isa = isa; _nr = isa == Isa.Avx512 ? NR512 : NR256; _a = a; _b = b; _c = c; _m = m; _k = k; _n = n; _accumulate = accumulate;
            _kc = kc; _mSlivers = mSlivers; _nSlivers = nSlivers; _nPad = nPad;
            _rowTiles = rowTiles; _colTiles = colTiles; _packB = packB;
            PackChunks = 1; SelfPack = false;
        }

        public void Clear()
        {
            _a = _b = _c = _packB = [];
        }

        /// <summary>Packs slivers [chunk·S/P, (chunk+1)·S/P) of op(B) for all k-blocks.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void PackB(int chunk)
        {
            int s0 = WorkerPool.RangeStart(chunk, _nSlivers, PackChunks);
            int s1 = WorkerPool.RangeStart(chunk + 1, _nSlivers, PackChunks);
            int NR = _nr;
            fixed (float* bp = _b)
            fixed (float* dst = _packB)
            {
                for (int pc = 0; pc < _k; pc += _kc)
                {
                    int kcLen = Math.Min(_kc, _k - pc);
                    for (int s = s0; s < s1; s++)
                    {
                        float* d = dst + (long)pc * _nPad + (long)s * NR * kcLen;
                        int j0 = s * NR;
                        int cols = Math.Min(NR, _n - j0);
                        if (_v == Variant.NT) PackBTransposed(bp, _k, pc, kcLen, j0, cols, NR, d);
                        else PackBRows(bp, _n, pc, kcLen, j0, cols, NR, d);
                    }
                }
            }
        }

        /// <summary>Computes one output tile (a range of row slivers × a range of column slivers), over all of k.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunTile(int tile)
        {
            int rt = tile / _colTiles, ct = tile % _colTiles;
            int r0 = WorkerPool.RangeStart(rt, _mSlivers, _rowTiles), r1 = WorkerPool.RangeStart(rt + 1, _mSlivers, _rowTiles);
            int s0 = WorkerPool.RangeStart(ct, _nSlivers, _colTiles), s1 = WorkerPool.RangeStart(ct + 1, _nSlivers, _colTiles);
            if (r0 >= r1 || s0 >= s1) return;
            if (SelfPack) PackB(ct);
            // A tile may span more row slivers than fit the packed-A block: run them in blocks of McSliversMax
            // (each C element still sees the same k-blocks in the same order: bit-identical to one block).
            for (int rb = r0; rb < r1; rb += McSliversMax)
                RunBlock(rb, Math.Min(r1, rb + McSliversMax), s0, s1);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunBlock(int r0, int r1, int s0, int s1)
        {
            int rowSlivers = r1 - r0;

            int need = rowSlivers * MR * _kc + 8; // + slack for PackARows' overlapping stores
            var packA = t_packA;
            if (packA is null || packA.Length < need)
                t_packA = packA = new float[Math.Max(need, McSliversMax * MR * KcMax + 8)];

            var isa = _isa;
            int NR = _nr;
            Span<float> scratch = stackalloc float[MR * NR512];
            fixed (float* ap = _a)
            fixed (float* pa = packA)
            fixed (float* pb = _packB)
            fixed (float* cp = _c)
            fixed (float* tmp = scratch)
            {
                for (int pc = 0; pc < _k; pc += _kc)
                {
                    int kcLen = Math.Min(_kc, _k - pc);
                    bool load = _accumulate || pc > 0;

                    // Pack this tile's rows of op(A) for the k-block.
                    for (int r = 0; r < rowSlivers; r++)
                    {
                        int i0 = (r0 + r) * MR;
                        int rows = Math.Min(MR, _m - i0);
                        float* d = pa + (long)r * MR * kcLen;
                        if (_v == Variant.TN && rows == MR) continue; // read in place (see below)
                        if (_v == Variant.TN) PackATransposed(ap, _m, pc, kcLen, i0, rows, d);
                        else PackARows(ap, _k, pc, kcLen, i0, rows, d);
                    }

                    for (int s = s0; s < s1; s++)
                    {
                        int j0 = s * NR;
                        int cols = Math.Min(NR, _n - j0);
                        float* bs = pb + (long)pc * _nPad + (long)s * NR * kcLen;
                        for (int r = 0; r < rowSlivers; r++)
                        {
                            int i0 = (r0 + r) * MR;
                            int rows = Math.Min(MR, _m - i0);
                            // op(A) = Aᵀ: a full sliver's column p (A[pc+p, i0 .. i0+6)) is already contiguous,
                            // so the kernel reads A in place with a step of one row of A; otherwise the packed sliver.
                            bool inPlace = _v == Variant.TN && rows == MR;
                            float* asl = inPlace ? ap + (long)pc * _m + i0 : pa + (long)r * MR * kcLen;
                            int aStep = inPlace ? _m : MR;
                            float* ct0 = cp + (long)i0 * _n + j0;
                            if (rows == MR && cols == NR)
                            {
                                MicroKernel(isa, kcLen, asl, aStep, bs, ct0, _n, load);
                            }
                            else
                            {
                                // Edge: same kernel on a padded scratch tile, then copy the valid part.
                                if (load)
                                    for (int i = 0; i < rows; i++)
                                        for (int j = 0; j < cols; j++) tmp[i * NR + j] = ct0[(long)i * _n + j];
                                MicroKernel(isa, kcLen, asl, aStep, bs, tmp, NR, load);
                                for (int i = 0; i < rows; i++)
                                    for (int j = 0; j < cols; j++) ct0[(long)i * _n + j] = tmp[i * NR + j];
                            }
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- packing

    /// <summary>op(B) = B (k×n row-major): sliver row p = B[pc+p, j0 .. j0+16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBRows(float* b, int ldb, int pc, int kcLen, int j0, int cols, int NR, float* d)
    {
        float* src = b + (long)pc * ldb + j0;
        if (cols == NR && Avx.IsSupported)
        {
            for (int p = 0; p < kcLen; p++, src += ldb, d += NR)
                for (int j = 0; j < NR; j += 8)
                    Avx.Store(d + j, Avx.LoadVector256(src + j));
            return;
        }
        for (int p = 0; p < kcLen; p++, src += ldb, d += NR)
        {
            int j = 0;
            for (; j < cols; j++) d[j] = src[j];
            for (; j < NR; j++) d[j] = 0f;
        }
    }

    /// <summary>op(B) = Bᵀ with B n×k row-major: sliver row p, column j = B[j0+j, pc+p].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBTransposed(float* b, int ldb, int pc, int kcLen, int j0, int cols, int NR, float* d)
    {
        int j = 0;
        if (Avx.IsSupported)
        {
            // 8×8 blocks: eight rows of B (eight columns of op(B)) × eight k steps, transposed in registers.
            for (; j + 8 <= cols; j += 8)
            {
                float* src = b + (long)(j0 + j) * ldb + pc;
                int p = 0;
                for (; p + 8 <= kcLen; p += 8)
                {
                    float* s0 = src + p;
                    Transpose8x8(
                        Avx.LoadVector256(s0), Avx.LoadVector256(s0 + ldb),
                        Avx.LoadVector256(s0 + 2L * ldb), Avx.LoadVector256(s0 + 3L * ldb),
                        Avx.LoadVector256(s0 + 4L * ldb), Avx.LoadVector256(s0 + 5L * ldb),
                        Avx.LoadVector256(s0 + 6L * ldb), Avx.LoadVector256(s0 + 7L * ldb),
                        d + (long)p * NR + j, NR);
                }
                for (; p < kcLen; p++)
                    for (int jj = 0; jj < 8; jj++) d[p * NR + j + jj] = src[(long)jj * ldb + p];
            }
        }
        for (; j < cols; j++)
        {
            float* src = b + (long)(j0 + j) * ldb + pc;
            for (int p = 0; p < kcLen; p++) d[p * NR + j] = src[p];
        }
        for (; j < NR; j++)
            for (int p = 0; p < kcLen; p++) d[p * NR + j] = 0f;
    }

    /// <summary>op(A) = A (m×k row-major): sliver column p, row i = A[i0+i, pc+p].</summary>
    /// <remarks>The vector path writes 2 floats past the sliver (zeros, overwritten by the next sliver); the buffer has slack.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackARows(float* a, int lda, int pc, int kcLen, int i0, int rows, float* d)
    {
        int p = 0;
        if (rows == MR && Avx.IsSupported)
        {
            float* src = a + (long)i0 * lda + pc;
            var z = Vector256<float>.Zero;
            for (; p + 8 <= kcLen; p += 8)
            {
                float* s0 = src + p;
                Transpose8x8(
                    Avx.LoadVector256(s0), Avx.LoadVector256(s0 + lda),
                    Avx.LoadVector256(s0 + 2L * lda), Avx.LoadVector256(s0 + 3L * lda),
                    Avx.LoadVector256(s0 + 4L * lda), Avx.LoadVector256(s0 + 5L * lda),
                    z, z, d + (long)p * MR, MR);
            }
        }
        int i = 0;
        for (; i < rows; i++)
        {
            float* src = a + (long)(i0 + i) * lda + pc;
            for (int q = p; q < kcLen; q++) d[q * MR + i] = src[q];
        }
        for (; i < MR; i++)
            for (int q = p; q < kcLen; q++) d[q * MR + i] = 0f;
    }

    /// <summary>
    /// Transposes the 8×8 block whose rows are r0..r7 and stores its row c (= column c of the input)
    /// at dst + c·ld, as 8 floats, in ascending c (so with ld &lt; 8 each store's tail is overwritten by the next).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, int ld)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ld, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ld, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ld, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ld, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ld, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ld, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ld, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>op(A) = Aᵀ with A k×m row-major: sliver column p, row i = A[pc+p, i0+i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackATransposed(float* a, int lda, int pc, int kcLen, int i0, int rows, float* d)
    {
        float* src = a + (long)pc * lda + i0;
        if (rows == MR)
        {
            for (int p = 0; p < kcLen; p++, src += lda, d += MR)
            {
                d[0] = src[0]; d[1] = src[1]; d[2] = src[2];
                d[3] = src[3]; d[4] = src[4]; d[5] = src[5];
            }
            return;
        }
        for (int p = 0; p < kcLen; p++, src += lda, d += MR)
        {
            int i = 0;
            for (; i < rows; i++) d[i] = src[i];
            for (; i < MR; i++) d[i] = 0f;
        }
    }

    // ---------------------------------------------------------------- micro-kernels

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(Isa isa, int kc, float* a, int aStep, float* b, float* c, int ldc, bool load)
    {
        if (isa == Isa.Avx512) Kernel6x32Avx512(kc, a, aStep, b, c, ldc, load);
        else if (isa == Isa.Avx2) Kernel6x16Fma(kc, a, aStep, b, c, ldc, load);
        else KernelScalar(kc, a, aStep, b, c, ldc, load, NR256);
    }

    /// <summary>C[6×32] (ldc) = (load ? C : 0) + Σ_p a[p,0..6)ᵀ · b[p,0..32), FMA chain in ascending p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32Avx512(int kc, float* a, int aStep, float* b, float* c, int ldc, bool load)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            float* r = c;
            c00 = Avx512F.LoadVector512(r); c01 = Avx512F.LoadVector512(r + 16); r += ldc;
            c10 = Avx512F.LoadVector512(r); c11 = Avx512F.LoadVector512(r + 16); r += ldc;
            c20 = Avx512F.LoadVector512(r); c21 = Avx512F.LoadVector512(r + 16); r += ldc;
            c30 = Avx512F.LoadVector512(r); c31 = Avx512F.LoadVector512(r + 16); r += ldc;
            c40 = Avx512F.LoadVector512(r); c41 = Avx512F.LoadVector512(r + 16); r += ldc;
            c50 = Avx512F.LoadVector512(r); c51 = Avx512F.LoadVector512(r + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector512<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            a += aStep;
            b += NR512;
        }

        float* w = c;
        Avx512F.Store(w, c00); Avx512F.Store(w + 16, c01); w += ldc;
        Avx512F.Store(w, c10); Avx512F.Store(w + 16, c11); w += ldc;
        Avx512F.Store(w, c20); Avx512F.Store(w + 16, c21); w += ldc;
        Avx512F.Store(w, c30); Avx512F.Store(w + 16, c31); w += ldc;
        Avx512F.Store(w, c40); Avx512F.Store(w + 16, c41); w += ldc;
        Avx512F.Store(w, c50); Avx512F.Store(w + 16, c51);
    }

    /// <summary>C[6×16] (ldc) = (load ? C : 0) + Σ_p a[p,0..6)ᵀ · b[p,0..16), FMA chain in ascending p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Fma(int kc, float* a, int aStep, float* b, float* c, int ldc, bool load)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            float* r = c;
            c00 = Avx.LoadVector256(r); c01 = Avx.LoadVector256(r + 8); r += ldc;
            c10 = Avx.LoadVector256(r); c11 = Avx.LoadVector256(r + 8); r += ldc;
            c20 = Avx.LoadVector256(r); c21 = Avx.LoadVector256(r + 8); r += ldc;
            c30 = Avx.LoadVector256(r); c31 = Avx.LoadVector256(r + 8); r += ldc;
            c40 = Avx.LoadVector256(r); c41 = Avx.LoadVector256(r + 8); r += ldc;
            c50 = Avx.LoadVector256(r); c51 = Avx.LoadVector256(r + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var x = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            a += aStep;
            b += NR256;
        }

        float* w = c;
        Avx.Store(w, c00); Avx.Store(w + 8, c01); w += ldc;
        Avx.Store(w, c10); Avx.Store(w + 8, c11); w += ldc;
        Avx.Store(w, c20); Avx.Store(w + 8, c21); w += ldc;
        Avx.Store(w, c30); Avx.Store(w + 8, c31); w += ldc;
        Avx.Store(w, c40); Avx.Store(w + 8, c41); w += ldc;
        Avx.Store(w, c50); Avx.Store(w + 8, c51);
    }

    /// <summary>Portable micro-kernel on the same packed panels (no FMA hardware).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelScalar(int kc, float* a, int aStep, float* b, float* c, int ldc, bool load, int NR)
    {
        float* acc = stackalloc float[MR * NR512];
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i * NR + j] = load ? c[(long)i * ldc + j] : 0f;
        for (int p = 0; p < kc; p++, a += aStep, b += NR)
            for (int i = 0; i < MR; i++)
            {
                float x = a[i];
                float* row = acc + i * NR;
                for (int j = 0; j < NR; j++) row[j] = Fma.IsSupported ? MathF.FusedMultiplyAdd(x, b[j], row[j]) : row[j] + x * b[j];
            }
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) c[(long)i * ldc + j] = acc[i * NR + j];
    }
}
