using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MLNetBackprop.Engine;

/// <summary>
/// The optimizers' update loops, vectorised over whole buffers (Vector512 where the hardware has it,
/// else Vector256, with a scalar tail), optionally split over threads for large buffers.
/// The loops are compiled fully optimised on first use (<see cref="MethodImplOptions.AggressiveOptimization"/>):
/// a small network's epoch is over before tiered compilation would promote them.
/// </summary>
/// <remarks>
/// <para><b>Bit-identical to the scalar loop.</b> Every rule performs, per element, exactly the
/// operations of its scalar loop in the same order (no FMA contraction: the vector code uses separate
/// multiply and add, as the scalar code does), and IEEE division / square root / max are correctly
/// rounded in both. The tests compare each vector width with the scalar path on random data including
/// zeros and subnormals. The split over threads is element-wise (no reduction), so the result does not
/// depend on the thread count.</para>
/// <para><b>Flush to zero.</b> After computing each state value (Adam's m and v, momentum buffers, …)
/// and each squared gradient g², a value with |x| &lt; <see cref="MinNormal"/> (a subnormal) is replaced
/// by 0. This is what x86 hardware does with the FTZ/DAZ bits set, and what PyTorch does after
/// <c>torch.set_flush_denormal(True)</c>. Without it, state that decays geometrically towards 0 (m for
/// a weight whose gradient is always 0, e.g. an always-zero input pixel or a dead ReLU unit) spends
/// the rest of training as subnormal floats, on which every x86 operation costs ~100 cycles. A
/// subnormal state value is below 1.2e-38, so flushing it changes an update by less than that; the
/// PyTorch reference trajectories (optimizers.json) are unaffected.</para>
/// </remarks>
internal static unsafe class OptimizerKernels
{
    /// <summary>The smallest positive normal float, 2⁻¹²⁶.</summary>
    public const float MinNormal = 1.17549435e-38f;

    /// <summary>Buffers shorter than this are updated on the calling thread.</summary>
    public const int ParallelThreshold = 1 << 15;

    /// <summary>Which code path a rule uses: 512 = Vector512 + scalar tail, 256 = Vector256 + tail, 0 = scalar only.</summary>
    public static int DefaultWidth { get; } =
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0;

    /// <summary>x, or 0 when x is subnormal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Flush(float x) => MathF.Abs(x) < MinNormal ? 0f : x;

    /// <summary>One rule's loop over a range of elements.</summary>
    internal interface IRule
    {
        /// <summary>Updates elements [start, end).</summary>
        void Run(int start, int end);
    }

    /// <summary>Runs <paramref name="rule"/> over [0, length): on this thread, or split over
    /// <see cref="Kernels.CurrentThreads"/> threads in chunks when the buffer is large.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Execute<T>(T rule, int length) where T : struct, IRule
    {
        int threads = length >= ParallelThreshold ? Kernels.CurrentThreads : 1;
        if (threads <= 1) rule.Run(0, length);
        else ExecuteParallel(rule, length, threads);
    }

    private static void ExecuteParallel<T>(T rule, int length, int threads) where T : struct, IRule
    {
        // Chunks of a multiple of 64 elements (cache lines, whole vectors); more chunks than threads so
        // an interrupted thread does not hold the others up. Element-wise: any split gives the same result.
        int chunks = Math.Min(threads * 4, (length + 8191) / 8192);
        int chunk = ((length + chunks - 1) / chunks + 63) & ~63;
        chunks = (length + chunk - 1) / chunk;
        var work = PerThread<Chunks<T>>.Rent();
        work.Rule = rule;
        work.Chunk = chunk;
        work.Length = length;
        try { WorkerPool.Run(work, chunks, threads); }
        finally
        {
            work.Rule = default; // drop the buffers
            PerThread<Chunks<T>>.Return(work);
        }
    }

    /// <summary>A rule cut into chunks for the <see cref="WorkerPool"/> (one reusable instance per thread and rule type: <see cref="PerThread{T}"/>).</summary>
    private sealed class Chunks<T> : PoolWork where T : struct, IRule
    {
        public T Rule;
        public int Chunk, Length;

        public override void Run(int index) => Rule.Run(index * Chunk, Math.Min(Length, (index + 1) * Chunk));
    }

    // ---- Vector abstraction: one generic body per rule, instantiated for Vector256 and Vector512 ----

    /// <summary>The operations the rules need, on one SIMD register of floats.</summary>
    internal interface IVec<TV> where TV : struct, IVec<TV>
    {
        static abstract int Count { get; }
        static abstract TV Load(float* p);
        static abstract void Store(float* p, TV v);
        static abstract TV Splat(float x);
        static abstract TV Add(TV a, TV b);
        static abstract TV Sub(TV a, TV b);
        static abstract TV Mul(TV a, TV b);
        static abstract TV Div(TV a, TV b);
        static abstract TV Sqrt(TV a);
        /// <summary>IEEE maximum, like <see cref="MathF.Max(float, float)"/> (NaN propagates, +0 &gt; −0).</summary>
        static abstract TV Max(TV a, TV b);
        static abstract TV Abs(TV a);
        /// <summary>Lanes with |x| &lt; <see cref="MinNormal"/> set to +0.</summary>
        static abstract TV Flush(TV a);
    }

    internal readonly struct V256(Vector256<float> v) : IVec<V256>
    {
        private readonly Vector256<float> _v = v;
        public static int Count => Vector256<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new(Vector256.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, V256 v) => v._v.Store(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Splat(float x) => new(Vector256.Create(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Add(V256 a, V256 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sub(V256 a, V256 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Mul(V256 a, V256 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Div(V256 a, V256 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sqrt(V256 a) => new(Vector256.Sqrt(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Max(V256 a, V256 b) => new(Vector256.Max(a._v, b._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Abs(V256 a) => new(Vector256.Abs(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 Flush(V256 a) => new(Vector256.AndNot(a._v, Vector256.LessThan(Vector256.Abs(a._v), Vector256.Create(MinNormal))));
    }

    internal readonly struct V512(Vector512<float> v) : IVec<V512>
    {
        private readonly Vector512<float> _v = v;
        public static int Count => Vector512<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new(Vector512.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, V512 v) => v._v.Store(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Splat(float x) => new(Vector512.Create(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Add(V512 a, V512 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sub(V512 a, V512 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Mul(V512 a, V512 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Div(V512 a, V512 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sqrt(V512 a) => new(Vector512.Sqrt(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Max(V512 a, V512 b) => new(Vector512.Max(a._v, b._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Abs(V512 a) => new(Vector512.Abs(a._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 Flush(V512 a) => new(Vector512.AndNot(a._v, Vector512.LessThan(Vector512.Abs(a._v), Vector512.Create(MinNormal))));
    }

    /// <summary>Runs the vector body for the given width, returning the first element left for the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Vectorised<TRule>(ref TRule rule, int width, int start, int end) where TRule : struct, IVectorRule
    {
        if (width >= 512 && Vector512.IsHardwareAccelerated) return rule.Body<V512>(start, end);
        if (width >= 256 && Vector256.IsHardwareAccelerated) return rule.Body<V256>(start, end);
        return start;
    }

    /// <summary>A rule with a generic vector body.</summary>
    internal interface IVectorRule
    {
        /// <summary>Updates whole vectors from <paramref name="start"/>; returns where it stopped.</summary>
        int Body<TV>(int start, int end) where TV : struct, IVec<TV>;
    }

    // ---- SGD (with momentum / dampening / Nesterov) ----

    internal struct Sgd : IRule, IVectorRule
    {
        public float* Value, Grad, Buf; // Buf null without momentum
        public float Lr, Wd, Mu, Keep;
        public bool First, Nesterov;
        public int Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int i = Vectorised(ref this, Width, start, end);
            for (; i < end; i++)
            {
                float g = Grad[i];
                if (Wd != 0) g += Wd * Value[i];
                if (Buf != null)
                {
                    float b = Flush(First ? g : Mu * Buf[i] + Keep * g);
                    Buf[i] = b;
                    g = Nesterov ? g + Mu * b : b;
                }
                Value[i] -= Lr * g;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int Body<TV>(int i, int end) where TV : struct, IVec<TV>
        {
            TV lr = TV.Splat(Lr), wd = TV.Splat(Wd), mu = TV.Splat(Mu), keep = TV.Splat(Keep);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(Value + i);
                TV g = TV.Load(Grad + i);
                if (Wd != 0) g = TV.Add(g, TV.Mul(wd, p));
                if (Buf != null)
                {
                    TV b = TV.Flush(First ? g : TV.Add(TV.Mul(mu, TV.Load(Buf + i)), TV.Mul(keep, g)));
                    TV.Store(Buf + i, b);
                    g = Nesterov ? TV.Add(g, TV.Mul(mu, b)) : b;
                }
                TV.Store(Value + i, TV.Sub(p, TV.Mul(lr, g)));
            }
            return i;
        }
    }

    // ---- Adagrad ----

    internal struct Adagrad : IRule, IVectorRule
    {
        public float* Value, Grad, Sum;
        public float Clr, Wd, Eps;
        public int Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int i = Vectorised(ref this, Width, start, end);
            for (; i < end; i++)
            {
                float g = Grad[i];
                if (Wd != 0) g += Wd * Value[i];
                float s = Flush(Sum[i] + Flush(g * g));
                Sum[i] = s;
                Value[i] -= Clr * (g / (MathF.Sqrt(s) + Eps));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int Body<TV>(int i, int end) where TV : struct, IVec<TV>
        {
            TV clr = TV.Splat(Clr), wd = TV.Splat(Wd), eps = TV.Splat(Eps);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(Value + i);
                TV g = TV.Load(Grad + i);
                if (Wd != 0) g = TV.Add(g, TV.Mul(wd, p));
                TV s = TV.Flush(TV.Add(TV.Load(Sum + i), TV.Flush(TV.Mul(g, g))));
                TV.Store(Sum + i, s);
                TV.Store(Value + i, TV.Sub(p, TV.Mul(clr, TV.Div(g, TV.Add(TV.Sqrt(s), eps)))));
            }
            return i;
        }
    }

    // ---- RMSProp ----

    internal struct RmsProp : IRule, IVectorRule
    {
        public float* Value, Grad, Sq, GAvg, Buf;
        public float Lr, Wd, A, OneMinusA, Eps, Mu;
        public bool Centered;
        public int Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int i = Vectorised(ref this, Width, start, end);
            for (; i < end; i++)
            {
                float g = Grad[i];
                if (Wd != 0) g += Wd * Value[i];
                float s = Flush(Sq[i] * A + OneMinusA * Flush(g * g));
                Sq[i] = s;
                float avg;
                if (Centered)
                {
                    float ga = Flush(GAvg[i] + OneMinusA * (g - GAvg[i]));
                    GAvg[i] = ga;
                    avg = MathF.Sqrt(s - ga * ga) + Eps;
                }
                else avg = MathF.Sqrt(s) + Eps;

                if (Mu > 0)
                {
                    float b = Flush(Buf[i] * Mu + g / avg);
                    Buf[i] = b;
                    Value[i] -= Lr * b;
                }
                else Value[i] -= Lr * (g / avg);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int Body<TV>(int i, int end) where TV : struct, IVec<TV>
        {
            TV lr = TV.Splat(Lr), wd = TV.Splat(Wd), a = TV.Splat(A), w = TV.Splat(OneMinusA), eps = TV.Splat(Eps), mu = TV.Splat(Mu);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(Value + i);
                TV g = TV.Load(Grad + i);
                if (Wd != 0) g = TV.Add(g, TV.Mul(wd, p));
                TV s = TV.Flush(TV.Add(TV.Mul(TV.Load(Sq + i), a), TV.Mul(w, TV.Flush(TV.Mul(g, g)))));
                TV.Store(Sq + i, s);
                TV avg;
                if (Centered)
                {
                    TV gaOld = TV.Load(GAvg + i);
                    TV ga = TV.Flush(TV.Add(gaOld, TV.Mul(w, TV.Sub(g, gaOld))));
                    TV.Store(GAvg + i, ga);
                    avg = TV.Add(TV.Sqrt(TV.Sub(s, TV.Mul(ga, ga))), eps);
                }
                else avg = TV.Add(TV.Sqrt(s), eps);

                if (Mu > 0)
                {
                    TV b = TV.Flush(TV.Add(TV.Mul(TV.Load(Buf + i), mu), TV.Div(g, avg)));
                    TV.Store(Buf + i, b);
                    TV.Store(Value + i, TV.Sub(p, TV.Mul(lr, b)));
                }
                else TV.Store(Value + i, TV.Sub(p, TV.Mul(lr, TV.Div(g, avg))));
            }
            return i;
        }
    }

    // ---- Adam / AdamW (optional AMSGrad) ----

    internal struct Adam : IRule, IVectorRule
    {
        public float* Value, Grad, M, V, VMax; // VMax null without AMSGrad
        public float B1w, B2, B2w, Eps, StepSize, Bc2Sqrt, Decay, Wd;
        public bool Decoupled;
        public int Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int i = Vectorised(ref this, Width, start, end);
            for (; i < end; i++)
            {
                float p = Value[i];
                if (Decoupled) p *= Decay;
                float g = Grad[i];
                if (Wd != 0) g += Wd * p;
                float mi = Flush(M[i] + B1w * (g - M[i])); // lerp, as torch does it
                float vi = Flush(V[i] * B2 + B2w * Flush(g * g));
                M[i] = mi;
                V[i] = vi;
                if (VMax != null) vi = VMax[i] = MathF.Max(VMax[i], vi);
                float denom = MathF.Sqrt(vi) / Bc2Sqrt + Eps;
                Value[i] = p - StepSize * (mi / denom);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int Body<TV>(int i, int end) where TV : struct, IVec<TV>
        {
            TV b1w = TV.Splat(B1w), b2 = TV.Splat(B2), b2w = TV.Splat(B2w), eps = TV.Splat(Eps);
            TV stepSize = TV.Splat(StepSize), bc2Sqrt = TV.Splat(Bc2Sqrt), decay = TV.Splat(Decay), wd = TV.Splat(Wd);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(Value + i);
                if (Decoupled) p = TV.Mul(p, decay);
                TV g = TV.Load(Grad + i);
                if (Wd != 0) g = TV.Add(g, TV.Mul(wd, p));
                TV mOld = TV.Load(M + i);
                TV mi = TV.Flush(TV.Add(mOld, TV.Mul(b1w, TV.Sub(g, mOld))));
                TV vi = TV.Flush(TV.Add(TV.Mul(TV.Load(V + i), b2), TV.Mul(b2w, TV.Flush(TV.Mul(g, g)))));
                TV.Store(M + i, mi);
                TV.Store(V + i, vi);
                if (VMax != null)
                {
                    vi = TV.Max(TV.Load(VMax + i), vi);
                    TV.Store(VMax + i, vi);
                }
                TV denom = TV.Add(TV.Div(TV.Sqrt(vi), bc2Sqrt), eps);
                TV.Store(Value + i, TV.Sub(p, TV.Mul(stepSize, TV.Div(mi, denom))));
            }
            return i;
        }
    }

    // ---- AdaDelta ----

    internal struct AdaDelta : IRule, IVectorRule
    {
        public float* Value, Grad, Sq, Acc;
        public float Lr, Wd, Rho, W, Eps;
        public int Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int i = Vectorised(ref this, Width, start, end);
            for (; i < end; i++)
            {
                float g = Grad[i];
                if (Wd != 0) g += Wd * Value[i];
                float s = Flush(Sq[i] * Rho + W * Flush(g * g));
                Sq[i] = s;
                float delta = MathF.Sqrt(Acc[i] + Eps) / MathF.Sqrt(s + Eps) * g;
                Acc[i] = Flush(Acc[i] * Rho + W * Flush(delta * delta));
                Value[i] -= Lr * delta;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int Body<TV>(int i, int end) where TV : struct, IVec<TV>
        {
            TV lr = TV.Splat(Lr), wd = TV.Splat(Wd), rho = TV.Splat(Rho), w = TV.Splat(W), eps = TV.Splat(Eps);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(Value + i);
                TV g = TV.Load(Grad + i);
                if (Wd != 0) g = TV.Add(g, TV.Mul(wd, p));
                TV s = TV.Flush(TV.Add(TV.Mul(TV.Load(Sq + i), rho), TV.Mul(w, TV.Flush(TV.Mul(g, g)))));
                TV.Store(Sq + i, s);
                TV acc = TV.Load(Acc + i);
                TV delta = TV.Mul(TV.Div(TV.Sqrt(TV.Add(acc, eps)), TV.Sqrt(TV.Add(s, eps))), g);
                TV.Store(Acc + i, TV.Flush(TV.Add(TV.Mul(acc, rho), TV.Mul(w, TV.Flush(TV.Mul(delta, delta))))));
                TV.Store(Value + i, TV.Sub(p, TV.Mul(lr, delta)));
            }
            return i;
        }
    }

    // ---- NAdam ----

    internal struct Nadam : IRule, IVectorRule
    {
        public float* Value, Grad, M, V;
        public float GradScale, MomentScale, Bc2, B1w, B2, B2w, Eps, Wd;
        public int Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int i = Vectorised(ref this, Width, start, end);
            for (; i < end; i++)
            {
                float g = Grad[i];
                if (Wd != 0) g += Wd * Value[i];
                float mi = Flush(M[i] + B1w * (g - M[i]));
                float vi = Flush(V[i] * B2 + B2w * Flush(g * g));
                M[i] = mi;
                V[i] = vi;
                float denom = MathF.Sqrt(vi / Bc2) + Eps;
                float p = Value[i] - GradScale * (g / denom);
                Value[i] = p - MomentScale * (mi / denom);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int Body<TV>(int i, int end) where TV : struct, IVec<TV>
        {
            TV gs = TV.Splat(GradScale), ms = TV.Splat(MomentScale), bc2 = TV.Splat(Bc2), b1w = TV.Splat(B1w);
            TV b2 = TV.Splat(B2), b2w = TV.Splat(B2w), eps = TV.Splat(Eps), wd = TV.Splat(Wd);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(Value + i);
                TV g = TV.Load(Grad + i);
                if (Wd != 0) g = TV.Add(g, TV.Mul(wd, p));
                TV mOld = TV.Load(M + i);
                TV mi = TV.Flush(TV.Add(mOld, TV.Mul(b1w, TV.Sub(g, mOld))));
                TV vi = TV.Flush(TV.Add(TV.Mul(TV.Load(V + i), b2), TV.Mul(b2w, TV.Flush(TV.Mul(g, g)))));
                TV.Store(M + i, mi);
                TV.Store(V + i, vi);
                TV denom = TV.Add(TV.Sqrt(TV.Div(vi, bc2)), eps);
                p = TV.Sub(p, TV.Mul(gs, TV.Div(g, denom)));
                TV.Store(Value + i, TV.Sub(p, TV.Mul(ms, TV.Div(mi, denom))));
            }
            return i;
        }
    }

    // ---- Adamax ----

    internal struct Adamax : IRule, IVectorRule
    {
        public float* Value, Grad, M, U;
        public float Clr, B1w, B2, Eps, Wd;
        public int Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int i = Vectorised(ref this, Width, start, end);
            for (; i < end; i++)
            {
                float g = Grad[i];
                if (Wd != 0) g += Wd * Value[i];
                float mi = Flush(M[i] + B1w * (g - M[i]));
                float ui = Flush(MathF.Max(U[i] * B2, MathF.Abs(g) + Eps));
                M[i] = mi;
                U[i] = ui;
                Value[i] -= Clr * (mi / ui);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int Body<TV>(int i, int end) where TV : struct, IVec<TV>
        {
            TV clr = TV.Splat(Clr), b1w = TV.Splat(B1w), b2 = TV.Splat(B2), eps = TV.Splat(Eps), wd = TV.Splat(Wd);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(Value + i);
                TV g = TV.Load(Grad + i);
                if (Wd != 0) g = TV.Add(g, TV.Mul(wd, p));
                TV mOld = TV.Load(M + i);
                TV mi = TV.Flush(TV.Add(mOld, TV.Mul(b1w, TV.Sub(g, mOld))));
                TV ui = TV.Flush(TV.Max(TV.Mul(TV.Load(U + i), b2), TV.Add(TV.Abs(g), eps)));
                TV.Store(M + i, mi);
                TV.Store(U + i, ui);
                TV.Store(Value + i, TV.Sub(p, TV.Mul(clr, TV.Div(mi, ui))));
            }
            return i;
        }
    }
}
