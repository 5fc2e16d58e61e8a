using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MLNetBackprop.Engine;

/// <summary>
/// The periodic embedding's per-row loops (<see cref="PeriodicEmbeddingLayer"/>): each embedded feature's p frequencies
/// are processed a <see cref="Vector{T}"/> at a time (sine and cosine together), the q learned outputs as dot products
/// over them. Parameters are laid out w, b: m × p; V: m × q × p; a: m × q.
/// </summary>
internal static partial class Kernels
{
    private static readonly float TwoPi = (float)(2 * Math.PI);

    /// <summary>
    /// One row forward: for embedded feature e (input index <paramref name="embedded"/>[e]), u = 2π·x·w + b, c = cos u,
    /// s = sin u (both kept for the backward pass), y[start[e] + o] = c·V[e, o] + a[e, o].
    /// </summary>
    /// <param name="x">The input row.</param>
    /// <param name="embedded">Embedded input indices (m).</param>
    /// <param name="start">Where each embedded feature's q outputs start in <paramref name="y"/> (m).</param>
    /// <param name="w">Frequencies, m × p.</param>
    /// <param name="b">Phases, m × p.</param>
    /// <param name="v">Mixing weights, m × q × p.</param>
    /// <param name="a">Output biases, m × q.</param>
    /// <param name="p">Frequencies per feature.</param>
    /// <param name="q">Outputs per feature.</param>
    /// <param name="y">The output row (only the embedded outputs are written).</param>
    /// <param name="cosines">Receives cos u, m × p.</param>
    /// <param name="sines">Receives sin u, m × p (may be empty when not training).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PeriodicEmbedRow(ReadOnlySpan<float> x, ReadOnlySpan<int> embedded, ReadOnlySpan<int> start,
        ReadOnlySpan<float> w, ReadOnlySpan<float> b, ReadOnlySpan<float> v, ReadOnlySpan<float> a, int p, int q,
        Span<float> y, Span<float> cosines, Span<float> sines)
    {
        if (Vector512.IsHardwareAccelerated && p % 16 == 0)
        {
            PeriodicEmbedRow512(x, embedded, start, w, b, v, a, p, q, y, cosines, sines);
            return;
        }
        int n = Vector<float>.Count, vectorEnd = p - p % n;
        bool keepSines = !sines.IsEmpty;
        for (int e = 0; e < embedded.Length; e++)
        {
            float xs = TwoPi * x[embedded[e]];
            var we = w.Slice(e * p, p);
            var be = b.Slice(e * p, p);
            var ce = cosines.Slice(e * p, p);
            var xv = new Vector<float>(xs);
            int f = 0;
            for (; f < vectorEnd; f += n)
            {
                var u = Vector.FusedMultiplyAdd(new Vector<float>(we[f..]), xv, new Vector<float>(be[f..]));
                var (s, c) = SinCos(u);
                c.CopyTo(ce[f..]);
                if (keepSines) s.CopyTo(sines[(e * p + f)..]);
            }
            for (; f < p; f++)
            {
                var (s, c) = MathF.SinCos(MathF.FusedMultiplyAdd(we[f], xs, be[f]));
                ce[f] = c;
                if (keepSines) sines[e * p + f] = s;
            }
            for (int o = 0; o < q; o++)
                y[start[e] + o] = Dot(ce, v.Slice((e * q + o) * p, p), vectorEnd) + a[e * q + o];
        }
    }

    /// <summary>
    /// One row backward, accumulating the parameter gradients: with g = dY at the feature's outputs,
    /// da += g, dV += g ⊗ c, du = −s ∘ (Vᵀ·g), db += du, dw += 2π·x·du; and returns into <paramref name="dx"/>[j] the
    /// embedding's part of dL/dxⱼ, 2π·Σ w ∘ du (added to what is there).
    /// </summary>
    /// <param name="x">The input row.</param>
    /// <param name="dy">dL/dY of the row.</param>
    /// <param name="embedded">Embedded input indices (m).</param>
    /// <param name="start">Where each embedded feature's q outputs start (m).</param>
    /// <param name="w">Frequencies, m × p.</param>
    /// <param name="v">Mixing weights, m × q × p.</param>
    /// <param name="cosines">cos u of the row, m × p.</param>
    /// <param name="sines">sin u of the row, m × p.</param>
    /// <param name="p">Frequencies per feature.</param>
    /// <param name="q">Outputs per feature.</param>
    /// <param name="dw">Frequency gradients, accumulated.</param>
    /// <param name="db">Phase gradients, accumulated.</param>
    /// <param name="dv">Mixing-weight gradients, accumulated.</param>
    /// <param name="da">Output-bias gradients, accumulated.</param>
    /// <param name="dx">The row's input gradient (may be empty when not needed).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PeriodicEmbedRowBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<int> embedded, ReadOnlySpan<int> start,
        ReadOnlySpan<float> w, ReadOnlySpan<float> v, ReadOnlySpan<float> cosines, ReadOnlySpan<float> sines, int p, int q,
        Span<float> dw, Span<float> db, Span<float> dv, Span<float> da, Span<float> dx)
    {
        if (Vector512.IsHardwareAccelerated && p % 16 == 0)
        {
            PeriodicEmbedRowBackward512(x, dy, embedded, start, w, v, cosines, sines, p, q, dw, db, dv, da, dx);
            return;
        }
        int n = Vector<float>.Count, vectorEnd = p - p % n;
        for (int e = 0; e < embedded.Length; e++)
        {
            int j = embedded[e];
            var g = dy.Slice(start[e], q);
            for (int o = 0; o < q; o++) da[e * q + o] += g[o];
            float xs = TwoPi * x[j];
            var xv = new Vector<float>(xs);
            var dxAcc = Vector<float>.Zero;
            int f = 0, row = e * p;
            for (; f < vectorEnd; f += n)
            {
                var c = new Vector<float>(cosines[(row + f)..]);
                var dc = Vector<float>.Zero;
                for (int o = 0; o < q; o++)
                {
                    int at = (e * q + o) * p + f;
                    var go = new Vector<float>(g[o]);
                    dc = Vector.FusedMultiplyAdd(new Vector<float>(v[at..]), go, dc);
                    Vector.FusedMultiplyAdd(c, go, new Vector<float>(dv[at..])).CopyTo(dv[at..]);
                }
                var du = -(new Vector<float>(sines[(row + f)..]) * dc);
                (new Vector<float>(db[(row + f)..]) + du).CopyTo(db[(row + f)..]);
                Vector.FusedMultiplyAdd(du, xv, new Vector<float>(dw[(row + f)..])).CopyTo(dw[(row + f)..]);
                dxAcc = Vector.FusedMultiplyAdd(new Vector<float>(w[(row + f)..]), du, dxAcc);
            }
            float dxSum = Vector.Sum(dxAcc);
            for (; f < p; f++)
            {
                float dc = 0;
                for (int o = 0; o < q; o++)
                {
                    int at = (e * q + o) * p + f;
                    dc = MathF.FusedMultiplyAdd(v[at], g[o], dc);
                    dv[at] = MathF.FusedMultiplyAdd(cosines[row + f], g[o], dv[at]);
                }
                float du = -(sines[row + f] * dc);
                db[row + f] += du;
                dw[row + f] = MathF.FusedMultiplyAdd(du, xs, dw[row + f]);
                dxSum = MathF.FusedMultiplyAdd(w[row + f], du, dxSum);
            }
            if (!dx.IsEmpty) dx[j] += TwoPi * dxSum;
        }
    }

    /// <summary>Rows per block of <see cref="PeriodicEmbedBlock16"/> (one 512-bit vector of rows).</summary>
    internal const int EmbedBlockRows = 16;

    /// <summary>Whether <see cref="PeriodicEmbedBlock16"/> serves p frequencies on this machine.</summary>
    internal static bool CanEmbedBlocks(int p, int q) => Vector512.IsHardwareAccelerated && TransposeKernels.IsSupported && p % 16 == 0 && q <= MaxBlockOutputs;


    /// <summary>
    /// The forward of 16 consecutive rows at once, with the rows across the vector lanes: bit for bit what
    /// <see cref="PeriodicEmbedRow"/> computes row by row (512-bit path), without its per-row reductions across lanes.
    /// Row r's u, sin u, cos u are the same per-element operations; each output's dot product over the p frequencies
    /// uses the row path's order (lane f accumulates frequencies f, f + 16, … from +0 with fused multiply-adds, then
    /// lanes are added pairwise f + 8, f + 4, f + 2, f + 1, as its <c>Sum4</c> does), here as vertical adds; and where the
    /// row path takes <c>MathF.SinCos</c> for a row's 16 frequencies (one of them beyond <see cref="TrigFastLimit"/>), so
    /// does this, for that row and those frequencies.
    /// </summary>
    /// <param name="x">The input, row-major, <paramref name="inputWidth"/> per row.</param>
    /// <param name="inputWidth">Input values per row.</param>
    /// <param name="r0">The block's first row.</param>
    /// <param name="embedded">Embedded input indices (m).</param>
    /// <param name="start">Where each embedded feature's q outputs start in an output row (m).</param>
    /// <param name="w">Frequencies, m × p.</param>
    /// <param name="b">Phases, m × p.</param>
    /// <param name="v">Mixing weights, m × q × p.</param>
    /// <param name="a">Output biases, m × q.</param>
    /// <param name="p">Frequencies per feature (a multiple of 16).</param>
    /// <param name="q">Outputs per feature.</param>
    /// <param name="y">The output, row-major, <paramref name="outputWidth"/> per row (only the embedded outputs are written).</param>
    /// <param name="outputWidth">Output values per row.</param>
    /// <param name="cosines">Receives cos u, rows × m × p.</param>
    /// <param name="sines">Receives sin u, rows × m × p.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the tile is written before it is read, the accumulators cleared per feature
    internal static unsafe void PeriodicEmbedBlock16(float[] x, int inputWidth, int r0, int[] embedded, int[] start,
        float[] w, float[] b, float[] v, float[] a, int p, int q, float[] y, int outputWidth, float[] cosines, float[] sines)
    {
        const int R = EmbedBlockRows;
        if (!CanEmbedBlocks(p, q)) throw new ArgumentOutOfRangeException(nameof(p), p, "Blocks need AVX-512, p a multiple of 16 and q ≤ 16.");
        int m = embedded.Length, block = m * p;
        // The loops below read and write through pointers and unchecked references: every extent is checked here.
        if (r0 < 0 || (long)(r0 + R) * block > cosines.Length || (long)(r0 + R) * block > sines.Length || (long)(r0 + R) * inputWidth > x.Length
            || (long)(r0 + R) * outputWidth > y.Length || start.Length < m || w.Length < block || b.Length < block
            || (long)block * q > v.Length || (long)m * q > a.Length)
            throw new ArgumentException("A buffer is smaller than the block's rows or the parameters' shapes.", nameof(r0));
        for (int e = 0; e < m; e++)
            if ((uint)embedded[e] >= (uint)inputWidth || start[e] < 0 || start[e] + q > outputWidth)
                throw new ArgumentOutOfRangeException(nameof(start), start[e], $"Embedded feature {e} reads or writes outside a row.");
        // On 64-byte boundaries: a 512-bit load or store that straddles two cache lines is slower, and a load from two
        // such stores waits for both.
        float* tileStorage = stackalloc float[R * R + 16];
        float* accStorage = stackalloc float[q * R * R + 16];
        float* tile = (float*)(((nint)tileStorage + 63) & ~(nint)63); // [f][row]: cos u of one 16-frequency chunk
        float* acc = (float*)(((nint)accStorage + 63) & ~(nint)63);   // [o][lane f][row]: the row path's accumulators
        fixed (float* pc = cosines, pv = v)
        {
            // u, sin u, cos u row by row, exactly as the row path (its fallback included).
            for (int r = r0; r < r0 + R; r++)
                PeriodicSinCosRow512(x.AsSpan(r * inputWidth, inputWidth), embedded, w, b, p, cosines.AsSpan(r * block, block), sines.AsSpan(r * block, block));
            for (int e = 0; e < m; e++)
            {
                new Span<float>(acc, q * R * R).Clear();
                for (int chunk = 0; chunk < p; chunk += R)
                {
                    // The chunk's cosines with the rows across the lanes.
                    TransposeKernels.Transpose16x16(pc + (long)r0 * block + e * p + chunk, block, tile);
                    // Lane f of output o's accumulator += cos u_f · V[e, o, f], chunk after chunk from +0.
                    for (int o = 0; o < q; o++)
                    {
                        float* vo = pv + (long)(e * q + o) * p + chunk;
                        float* ao = acc + o * R * R;
                        for (int f = 0; f < R; f++)
                            Vector512.FusedMultiplyAdd(Vector512.Load(tile + f * R), Vector512.Create(vo[f]), Vector512.Load(ao + f * R)).Store(ao + f * R);
                    }
                }
                // The row path's reduction across lanes (f + 8, then + 4, + 2, + 1), as vertical adds in the same pairs, then + a.
                for (int o = 0; o < q; o++)
                {
                    float* ao = acc + o * R * R;
                    for (int half = R / 2; half >= 1; half /= 2)
                        for (int f = 0; f < half; f++)
                            (Vector512.Load(ao + f * R) + Vector512.Load(ao + (f + half) * R)).Store(ao + f * R);
                    var sum = Vector512.Load(ao) + Vector512.Create(a[e * q + o]);
                    sum.Store(ao);
                    int col = start[e] + o;
                    for (int r = 0; r < R; r++) y[(r0 + r) * outputWidth + col] = ao[r];
                }
            }
        }
    }

    /// <summary>
    /// The first half of <see cref="PeriodicEmbedRow512"/> (and of a block's rows): u = 2π·x·w + b, cos u and sin u of one
    /// row, 16 frequencies at a time (p a multiple of 16); <paramref name="sines"/> may be empty (not training).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PeriodicSinCosRow512(ReadOnlySpan<float> x, ReadOnlySpan<int> embedded, ReadOnlySpan<float> w, ReadOnlySpan<float> b, int p,
        Span<float> cosines, Span<float> sines)
    {
        bool keepSines = !sines.IsEmpty;
        ref float rw = ref MemoryMarshal.GetReference(w), rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(cosines), rs = ref MemoryMarshal.GetReference(sines);
        for (int e = 0; e < embedded.Length; e++)
        {
            var xv = Vector512.Create(TwoPi * x[embedded[e]]);
            nuint row = (nuint)(e * p);
            for (nuint f = 0; f < (nuint)p; f += 16)
            {
                var u = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rw, row + f), xv, Vector512.LoadUnsafe(ref rb, row + f));
                var (sin, cos) = SinCos(u);
                cos.StoreUnsafe(ref rc, row + f);
                if (keepSines) sin.StoreUnsafe(ref rs, row + f);
            }
        }
    }

    /// <summary>The most outputs per feature <see cref="PeriodicEmbedBlock16"/> takes (its accumulators live on the stack).</summary>
    internal const int MaxBlockOutputs = 16;

    /// <summary>The forward row with 512-bit vectors (p a multiple of 16); the same arithmetic as the generic path, 16 lanes at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PeriodicEmbedRow512(ReadOnlySpan<float> x, ReadOnlySpan<int> embedded, ReadOnlySpan<int> start,
        ReadOnlySpan<float> w, ReadOnlySpan<float> b, ReadOnlySpan<float> v, ReadOnlySpan<float> a, int p, int q,
        Span<float> y, Span<float> cosines, Span<float> sines)
    {
        PeriodicSinCosRow512(x, embedded, w, b, p, cosines, sines);
        ref float rv = ref MemoryMarshal.GetReference(v);
        ref float rc = ref MemoryMarshal.GetReference(cosines);
        Span<float> sums = stackalloc float[4];
        for (int e = 0; e < embedded.Length; e++)
        {
            nuint row = (nuint)(e * p);
            // Up to four outputs' dot products at a time, reduced together (four separate horizontal sums cost far more).
            for (int o = 0; o < q; o += 4)
            {
                int count = Math.Min(4, q - o);
                var acc0 = Vector512<float>.Zero;
                var acc1 = Vector512<float>.Zero;
                var acc2 = Vector512<float>.Zero;
                var acc3 = Vector512<float>.Zero;
                nuint at = (nuint)((e * q + o) * p);
                for (nuint f = 0; f < (nuint)p; f += 16)
                {
                    var c = Vector512.LoadUnsafe(ref rc, row + f);
                    acc0 = Vector512.FusedMultiplyAdd(c, Vector512.LoadUnsafe(ref rv, at + f), acc0);
                    if (count > 1) acc1 = Vector512.FusedMultiplyAdd(c, Vector512.LoadUnsafe(ref rv, at + (nuint)p + f), acc1);
                    if (count > 2) acc2 = Vector512.FusedMultiplyAdd(c, Vector512.LoadUnsafe(ref rv, at + 2 * (nuint)p + f), acc2);
                    if (count > 3) acc3 = Vector512.FusedMultiplyAdd(c, Vector512.LoadUnsafe(ref rv, at + 3 * (nuint)p + f), acc3);
                }
                Sum4(acc0, acc1, acc2, acc3).CopyTo(sums);
                for (int k = 0; k < count; k++) y[start[e] + o + k] = sums[k] + a[e * q + o + k];
            }
        }
    }

    /// <summary>The backward row with 512-bit vectors (p a multiple of 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PeriodicEmbedRowBackward512(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<int> embedded, ReadOnlySpan<int> start,
        ReadOnlySpan<float> w, ReadOnlySpan<float> v, ReadOnlySpan<float> cosines, ReadOnlySpan<float> sines, int p, int q,
        Span<float> dw, Span<float> db, Span<float> dv, Span<float> da, Span<float> dx)
    {
        ref float rw = ref MemoryMarshal.GetReference(w), rv = ref MemoryMarshal.GetReference(v);
        ref float rc = ref MemoryMarshal.GetReference(cosines), rs = ref MemoryMarshal.GetReference(sines);
        ref float rdw = ref MemoryMarshal.GetReference(dw), rdb = ref MemoryMarshal.GetReference(db), rdv = ref MemoryMarshal.GetReference(dv);
        Span<float> sums = stackalloc float[4];
        // Features four at a time, so their dx sums reduce together.
        for (int e0 = 0; e0 < embedded.Length; e0 += 4)
        {
            int group = Math.Min(4, embedded.Length - e0);
            var dxAcc0 = Vector512<float>.Zero;
            var dxAcc1 = Vector512<float>.Zero;
            var dxAcc2 = Vector512<float>.Zero;
            var dxAcc3 = Vector512<float>.Zero;
            for (int k = 0; k < group; k++)
            {
                int e = e0 + k, j = embedded[e];
                var g = dy.Slice(start[e], q);
                for (int o = 0; o < q; o++) da[e * q + o] += g[o];
                var xv = Vector512.Create(TwoPi * x[j]);
                var dxAcc = Vector512<float>.Zero;
                nuint row = (nuint)(e * p);
                for (nuint f = 0; f < (nuint)p; f += 16)
                {
                    var c = Vector512.LoadUnsafe(ref rc, row + f);
                    var dc = Vector512<float>.Zero;
                    for (int o = 0; o < q; o++)
                    {
                        nuint at = (nuint)((e * q + o) * p) + f;
                        var go = Vector512.Create(g[o]);
                        dc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rv, at), go, dc);
                        Vector512.FusedMultiplyAdd(c, go, Vector512.LoadUnsafe(ref rdv, at)).StoreUnsafe(ref rdv, at);
                    }
                    var du = -(Vector512.LoadUnsafe(ref rs, row + f) * dc);
                    (Vector512.LoadUnsafe(ref rdb, row + f) + du).StoreUnsafe(ref rdb, row + f);
                    Vector512.FusedMultiplyAdd(du, xv, Vector512.LoadUnsafe(ref rdw, row + f)).StoreUnsafe(ref rdw, row + f);
                    dxAcc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rw, row + f), du, dxAcc);
                }
                switch (k)
                {
                    case 0: dxAcc0 = dxAcc; break;
                    case 1: dxAcc1 = dxAcc; break;
                    case 2: dxAcc2 = dxAcc; break;
                    default: dxAcc3 = dxAcc; break;
                }
            }
            if (dx.IsEmpty) continue;
            Sum4(dxAcc0, dxAcc1, dxAcc2, dxAcc3).CopyTo(sums);
            for (int k = 0; k < group; k++) dx[embedded[e0 + k]] += TwoPi * sums[k];
        }
    }

    /// <summary>[Σa, Σb, Σc, Σd] of four 16-lane vectors: halve each to 4 lanes, then a 4 × 4 transpose-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        static Vector128<float> Quarter(Vector512<float> v)
        {
            var h = v.GetLower() + v.GetUpper();
            return h.GetLower() + h.GetUpper();
        }
        Vector128<float> qa = Quarter(a), qb = Quarter(b), qc = Quarter(c), qd = Quarter(d);
        if (Sse.IsSupported)
        {
            var ab = Sse.UnpackLow(qa, qb) + Sse.UnpackHigh(qa, qb);   // [a0+a2, b0+b2, a1+a3, b1+b3]
            var cd = Sse.UnpackLow(qc, qd) + Sse.UnpackHigh(qc, qd);   // [c0+c2, d0+d2, c1+c3, d1+d3]
            return Sse.MoveLowToHigh(ab, cd) + Sse.MoveHighToLow(cd, ab); // [Σa, Σb, Σc, Σd]
        }
        return Vector128.Create(Vector128.Sum(qa), Vector128.Sum(qb), Vector128.Sum(qc), Vector128.Sum(qd));
    }

    /// <summary>Σ x∘y over the first <paramref name="vectorEnd"/> values a vector at a time, then the rest one by one.</summary>
    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int vectorEnd)
    {
        var acc = Vector<float>.Zero;
        int f = 0;
        for (; f < vectorEnd; f += Vector<float>.Count) acc = Vector.FusedMultiplyAdd(new Vector<float>(x[f..]), new Vector<float>(y[f..]), acc);
        float sum = Vector.Sum(acc);
        for (; f < x.Length; f++) sum = MathF.FusedMultiplyAdd(x[f], y[f], sum);
        return sum;
    }
}
