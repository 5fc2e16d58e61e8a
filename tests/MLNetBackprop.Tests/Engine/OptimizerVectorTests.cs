using MLNetBackprop.Engine;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// The vectorised optimizer loops (Vector512, Vector256) against their scalar path, bit for bit, on
/// random data that includes zeros, subnormals and values near the smallest normal float; subnormal
/// state is flushed to zero; the split over threads does not change results.
/// </summary>
[Collection(KernelThreadsCollection.Name)]
public unsafe class OptimizerVectorTests(ITestOutputHelper output)
{
    private const int Length = 1000 + 13; // not a multiple of 16: exercises the scalar tail

    /// <summary>Random floats: a mix of ordinary values, exact zeros, subnormals and tiny normals, of both signs.</summary>
    private static float[] Mixed(Random rng, int length, bool nonNegative = false)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            float v = rng.Next(6) switch
            {
                0 => 0f,
                1 => (float)(rng.NextDouble() * 2e-38),                 // subnormals and tiny normals
                2 => BitConverter.Int32BitsToSingle(rng.Next(1, 0x007FFFFF)), // any subnormal
                3 => (float)(rng.NextDouble() * 1e-19),                 // squares are subnormal
                _ => (float)(rng.NextDouble() * 2 - 1),
            };
            x[i] = nonNegative || rng.Next(2) == 0 ? v : -v;
        }
        return x;
    }

    /// <summary>The arrays a rule touches; index 0 = values, 1 = gradient, 2.. = state.</summary>
    private delegate void RunRule(float*[] p, int width, int length, int step);

    /// <param name="used">Which state arrays the configuration updates (and so must flush).</param>
    private void CheckAllWidths(string what, int stateCount, bool[] nonNegativeState, bool[] used, RunRule run, int steps = 3)
    {
        var rng = new Random(what.GetHashCode(StringComparison.Ordinal) & 0x7fffffff);
        var initial = new float[2 + stateCount][];
        initial[0] = Mixed(rng, Length);
        initial[1] = Mixed(rng, Length);
        for (int s = 0; s < stateCount; s++) initial[2 + s] = Mixed(rng, Length, nonNegativeState[s]);
        var gradients = Enumerable.Range(0, steps).Select(_ => Mixed(rng, Length)).ToArray();

        float[][] RunWidth(int width)
        {
            var arrays = initial.Select(a => (float[])a.Clone()).ToArray();
            for (int step = 0; step < steps; step++)
            {
                if (step > 0) arrays[1] = gradients[step];
                var handles = arrays.Select(a => System.Runtime.InteropServices.GCHandle.Alloc(a, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
                try
                {
                    var ptrs = new float*[handles.Length];
                    for (int h = 0; h < handles.Length; h++) ptrs[h] = (float*)handles[h].AddrOfPinnedObject();
                    run(ptrs, width, Length, step + 1);
                }
                finally { foreach (var h in handles) h.Free(); }
            }
            return arrays;
        }

        var scalar = RunWidth(0);
        for (int s = 0; s < stateCount; s++)
            if (used[s]) Assert.DoesNotContain(scalar[2 + s], float.IsSubnormal);
        var compared = new List<int>();
        foreach (int width in new[] { 256, 512 })
        {
            // A width the hardware (or the runtime's knobs) does not accelerate runs its scalar loop: nothing to compare.
            if (width == 512 && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) { output.WriteLine("512-bit path not compared: Vector512 is not accelerated here (CI's main run on an AVX-512 machine compares it)."); continue; }
            if (width == 256 && !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) { output.WriteLine("256-bit path not compared: Vector256 is not accelerated here."); continue; }
            compared.Add(width);
            var vec = RunWidth(width);
            for (int a = 0; a < scalar.Length; a++)
                for (int i = 0; i < Length; i++)
                {
                    int x = BitConverter.SingleToInt32Bits(scalar[a][i]), y = BitConverter.SingleToInt32Bits(vec[a][i]);
                    if (x != y && !(float.IsNaN(scalar[a][i]) && float.IsNaN(vec[a][i])))
                        Assert.Fail($"{what}, width {width}: array {a}, element {i}: scalar {scalar[a][i]:R} vs vector {vec[a][i]:R}");
                }
        }
        output.WriteLine(compared.Count == 0 ? $"{what}: only the scalar path runs on this machine; it was checked for flushed subnormals." : $"{what}: the {string.Join(" and ", compared)}-bit paths equal the scalar path bit for bit.");
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, false, true)]
    public void AdamVectorMatchesScalar(bool amsgrad, bool decoupled, bool weightDecay)
    {
        CheckAllWidths($"adam {amsgrad} {decoupled} {weightDecay}", 3, [false, true, true], [true, true, false], (p, width, n, step) =>
        {
            new OptimizerKernels.Adam
            {
                Value = p[0], Grad = p[1], M = p[2], V = p[3], VMax = amsgrad ? p[4] : null,
                B1w = 0.1f, B2 = 0.999f, B2w = 1 - 0.999f, Eps = 1e-8f,
                StepSize = (float)(1e-3 / (1 - Math.Pow(0.9, step))), Bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(0.999, step)),
                Decay = decoupled ? 0.99f : 1f, Wd = decoupled || !weightDecay ? 0f : 0.01f, Decoupled = decoupled, Width = width,
            }.Run(0, n);
        });
    }

    [Theory]
    [InlineData(0f, 0f, false, false, true)]
    [InlineData(0.9f, 0f, false, false, true)]
    [InlineData(0.9f, 0.1f, false, true, false)]
    [InlineData(0.9f, 0f, true, false, false)]
    [InlineData(0.9f, 0f, true, true, false)]
    public void SgdVectorMatchesScalar(float mu, float dampening, bool nesterov, bool weightDecay, bool first)
        => CheckAllWidths($"sgd {mu} {dampening} {nesterov} {weightDecay} {first}", 1, [false], [mu != 0], (p, width, n, step) =>
            new OptimizerKernels.Sgd
            {
                Value = p[0], Grad = p[1], Buf = mu != 0 ? p[2] : null, Lr = 0.01f, Wd = weightDecay ? 1e-3f : 0f,
                Mu = mu, Keep = 1 - dampening, First = first, Nesterov = nesterov, Width = width,
            }.Run(0, n));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdagradVectorMatchesScalar(bool weightDecay)
        => CheckAllWidths($"adagrad {weightDecay}", 1, [true], [true], (p, width, n, step) =>
            new OptimizerKernels.Adagrad
            {
                Value = p[0], Grad = p[1], Sum = p[2], Clr = 0.01f, Wd = weightDecay ? 1e-2f : 0f, Eps = 1e-10f, Width = width,
            }.Run(0, n));

    [Theory]
    [InlineData(false, 0f, false)]
    [InlineData(true, 0f, false)]
    [InlineData(false, 0.9f, true)]
    [InlineData(true, 0.9f, true)]
    public void RmsPropVectorMatchesScalar(bool centered, float mu, bool weightDecay)
        => CheckAllWidths($"rmsprop {centered} {mu} {weightDecay}", 3, [true, false, false], [true, centered, mu > 0], (p, width, n, step) =>
            new OptimizerKernels.RmsProp
            {
                Value = p[0], Grad = p[1], Sq = p[2], GAvg = p[3], Buf = p[4], Lr = 0.01f, Wd = weightDecay ? 1e-2f : 0f,
                A = 0.99f, OneMinusA = 1 - 0.99f, Eps = 1e-8f, Mu = mu, Centered = centered, Width = width,
            }.Run(0, n));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdaDeltaVectorMatchesScalar(bool weightDecay)
        => CheckAllWidths($"adadelta {weightDecay}", 2, [true, true], [true, true], (p, width, n, step) =>
            new OptimizerKernels.AdaDelta
            {
                Value = p[0], Grad = p[1], Sq = p[2], Acc = p[3], Lr = 1f, Wd = weightDecay ? 1e-2f : 0f,
                Rho = 0.9f, W = 1 - 0.9f, Eps = 1e-6f, Width = width,
            }.Run(0, n));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NadamVectorMatchesScalar(bool weightDecay)
        => CheckAllWidths($"nadam {weightDecay}", 2, [false, true], [true, true], (p, width, n, step) =>
            new OptimizerKernels.Nadam
            {
                Value = p[0], Grad = p[1], M = p[2], V = p[3], GradScale = 2e-4f, MomentScale = 1.7e-3f, Bc2 = 0.002f,
                B1w = 0.1f, B2 = 0.999f, B2w = 1 - 0.999f, Eps = 1e-8f, Wd = weightDecay ? 1e-2f : 0f, Width = width,
            }.Run(0, n));

    [Theory]
    [InlineData(false, 1e-8f)]
    [InlineData(true, 0f)]
    public void AdamaxVectorMatchesScalar(bool weightDecay, float eps)
        => CheckAllWidths($"adamax {weightDecay} {eps}", 2, [false, true], [true, true], (p, width, n, step) =>
            new OptimizerKernels.Adamax
            {
                Value = p[0], Grad = p[1], M = p[2], U = p[3], Clr = 2e-3f, B1w = 0.1f, B2 = 0.999f, Eps = eps,
                Wd = weightDecay ? 1e-2f : 0f, Width = width,
            }.Run(0, n));

    /// <summary>m decays geometrically when the gradient is 0; once it would be subnormal it is exactly 0.</summary>
    [Fact]
    public void AdamFlushesDecayingMomentToZero()
    {
        var p = new Parameter("w", 40, isWeight: true);
        var state = Optimizer.Adam(1e-3).CreateState([p]);
        Array.Fill(p.Gradient, 1f);
        state.Step();
        Array.Fill(p.Gradient, 0f);
        for (int i = 0; i < 1000; i++) state.Step(); // 0.1·0.9¹⁰⁰⁰ ≈ 2e-47: subnormal range passed
        Assert.All(state.Slots[0].Buffers[0], m => Assert.Equal(0f, m));
        Assert.All(state.Slots[0].Buffers[1], v => Assert.False(float.IsSubnormal(v)));
    }

    /// <summary>Large buffers are split over threads; the result is the same for 1 and 2 threads, for every rule.</summary>
    [Fact]
    public void ThreadSplitGivesIdenticalResults()
    {
        int n = OptimizerKernels.ParallelThreshold * 3 + 5;
        foreach (string name in Optimizer.Names)
        {
            float[] Run(int threads)
            {
                var rng = new Random(3);
                var p = new Parameter("w", n, isWeight: true);
                for (int i = 0; i < n; i++) p.Value[i] = (float)(rng.NextDouble() - 0.5);
                var state = Optimizer.FromName(name).CreateState([p]);
                using (Kernels.UseThreads(threads))
                    for (int s = 0; s < 3; s++)
                    {
                        for (int i = 0; i < n; i++) p.Gradient[i] = (float)(rng.NextDouble() - 0.5);
                        state.Step();
                    }
                return p.Value;
            }
            Assert.Equal(Run(1), Run(2));
        }
    }
}
