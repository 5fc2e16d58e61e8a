// Polyfills for the net8.0 build of the package, in one place: APIs added in .NET 9 that the code uses, defined only
// for targets that lack them. The net10.0 build compiles none of this (the same source binds to the real APIs there,
// so its code path is unchanged). The replacements compute the same values: FusedMultiplyAdd is fused (one
// rounding), Round rounds half to even, as the .NET 9 methods do.
#if !NET9_0_OR_GREATER
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace System.Threading
{
    /// <summary>.NET 9's <c>System.Threading.Lock</c> on net8.0: <c>lock (x)</c> enters the monitor of this object.</summary>
    internal sealed class Lock
    {
        private readonly object _monitor = new();

        /// <summary>Enters the lock; disposing the scope leaves it (the shape the C# compiler lowers <c>lock</c> to).</summary>
        public Scope EnterScope()
        {
            Monitor.Enter(_monitor);
            return new Scope(_monitor);
        }

        /// <summary>A held lock.</summary>
        public readonly ref struct Scope
        {
            private readonly object _monitor;
            internal Scope(object monitor) => _monitor = monitor;
            /// <summary>Leaves the lock.</summary>
            public void Dispose() => Monitor.Exit(_monitor);
        }
    }
}

// In the global namespace so that every file that names Vector, Vector256 or Vector512 sees the extensions.
/// <summary>.NET 9's vector <c>FusedMultiplyAdd</c> and <c>Round</c> (float) on net8.0, as static extensions.</summary>
internal static class MLNetBackpropVectorPolyfills
{
    extension(Vector)
    {
        /// <summary>(a × b) + c per element, rounded once.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> FusedMultiplyAdd(Vector<float> a, Vector<float> b, Vector<float> c)
        {
            if (Vector<float>.Count == Vector512<float>.Count)
                return Vector512.FusedMultiplyAdd(a.AsVector512(), b.AsVector512(), c.AsVector512()).AsVector();
            if (Vector<float>.Count == Vector256<float>.Count)
                return Vector256.FusedMultiplyAdd(a.AsVector256(), b.AsVector256(), c.AsVector256()).AsVector();
            if (Vector<float>.Count == Vector128<float>.Count)
                return Fma128(a.AsVector128(), b.AsVector128(), c.AsVector128()).AsVector();
            Span<float> r = stackalloc float[Vector<float>.Count];
            for (int i = 0; i < r.Length; i++) r[i] = MathF.FusedMultiplyAdd(a[i], b[i], c[i]);
            return new Vector<float>(r);
        }

        /// <summary>Each element rounded to the nearest integer, halves to even.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Round(Vector<float> a)
        {
            if (Vector<float>.Count == Vector512<float>.Count) return Vector512.Round(a.AsVector512()).AsVector();
            if (Vector<float>.Count == Vector256<float>.Count) return Vector256.Round(a.AsVector256()).AsVector();
            if (Vector<float>.Count == Vector128<float>.Count) return Round128(a.AsVector128()).AsVector();
            Span<float> r = stackalloc float[Vector<float>.Count];
            for (int i = 0; i < r.Length; i++) r[i] = MathF.Round(a[i]);
            return new Vector<float>(r);
        }
    }

    extension(Vector512)
    {
        /// <summary>(a × b) + c per element, rounded once.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
            Avx512F.IsSupported
                ? Avx512F.FusedMultiplyAdd(a, b, c)
                : Vector512.Create(Vector256.FusedMultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()),
                                   Vector256.FusedMultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));

        /// <summary>Each element rounded to the nearest integer, halves to even.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Round(Vector512<float> a) =>
            Avx512F.IsSupported
                ? Avx512F.RoundScale(a, 0x08)   // scale 0, round to nearest even, no precision exception
                : Vector512.Create(Vector256.Round(a.GetLower()), Vector256.Round(a.GetUpper()));
    }

    extension(Vector256)
    {
        /// <summary>(a × b) + c per element, rounded once.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
            Fma.IsSupported
                ? Fma.MultiplyAdd(a, b, c)
                : Vector256.Create(Fma128(a.GetLower(), b.GetLower(), c.GetLower()), Fma128(a.GetUpper(), b.GetUpper(), c.GetUpper()));

        /// <summary>Each element rounded to the nearest integer, halves to even.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Round(Vector256<float> a) =>
            Avx.IsSupported
                ? Avx.RoundToNearestInteger(a)
                : Vector256.Create(Round128(a.GetLower()), Round128(a.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma128(Vector128<float> a, Vector128<float> b, Vector128<float> c)
    {
        if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
        if (AdvSimd.IsSupported) return AdvSimd.FusedMultiplyAdd(c, a, b);
        return Vector128.Create(MathF.FusedMultiplyAdd(a[0], b[0], c[0]), MathF.FusedMultiplyAdd(a[1], b[1], c[1]),
                                MathF.FusedMultiplyAdd(a[2], b[2], c[2]), MathF.FusedMultiplyAdd(a[3], b[3], c[3]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Round128(Vector128<float> a)
    {
        if (Sse41.IsSupported) return Sse41.RoundToNearestInteger(a);
        if (AdvSimd.IsSupported) return AdvSimd.RoundToNearest(a);
        return Vector128.Create(MathF.Round(a[0]), MathF.Round(a[1]), MathF.Round(a[2]), MathF.Round(a[3]));
    }
}
#endif
