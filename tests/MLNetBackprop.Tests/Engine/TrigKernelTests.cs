using System.Numerics;
using System.Runtime.Intrinsics;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The periodic embedding's vector sine/cosine, both widths (the 512-bit one runs, emulated, on any machine), against double-precision Math.Sin/Cos.</summary>
public class TrigKernelTests
{
    private static IEnumerable<float> Arguments()
    {
        for (double u = -1000; u <= 1000; u += 0.37) yield return (float)u;
        foreach (float u in new[] { 0f, -0f, MathF.PI / 4, MathF.PI / 2, MathF.PI, 3 * MathF.PI / 2, 2 * MathF.PI, 1e-20f, -1e-3f,
                     60000f, -65535f, 70000f, -1e9f, 3.4e38f })
            yield return u;
    }

    private static void Check(float u, float sin, float cos)
    {
        // 2e-7 absolute where the reduction is exact; beyond the fast limit MathF's own accuracy (about an ulp of the value) applies.
        double tolerance = Math.Abs(u) <= Kernels.TrigFastLimit ? 2e-7 + 2e-7 * Math.Abs(u) / 1000 : 1e-6;
        Assert.True(Math.Abs(sin - Math.Sin(u)) <= tolerance, $"sin({u}) = {sin}, expected {Math.Sin(u)}");
        Assert.True(Math.Abs(cos - Math.Cos(u)) <= tolerance, $"cos({u}) = {cos}, expected {Math.Cos(u)}");
    }

    [Fact]
    public void Vector512SinCosMatchesDoublePrecision()
    {
        var args = Arguments().ToArray();
        for (int i = 0; i + 16 <= args.Length; i += 16)
        {
            var (s, c) = Kernels.SinCos(Vector512.Create<float>(args.AsSpan(i, 16)));
            for (int k = 0; k < 16; k++) Check(args[i + k], s[k], c[k]);
        }
    }

    [Fact]
    public void VectorSinCosMatchesDoublePrecision()
    {
        var args = Arguments().ToArray();
        int n = Vector<float>.Count;
        for (int i = 0; i + n <= args.Length; i += n)
        {
            var (s, c) = Kernels.SinCos(new Vector<float>(args.AsSpan(i, n)));
            for (int k = 0; k < n; k++) Check(args[i + k], s[k], c[k]);
        }
    }

    [Fact]
    public void NaNGivesNaN()
    {
        var (s, c) = Kernels.SinCos(new Vector<float>(float.NaN));
        Assert.True(float.IsNaN(s[0]) && float.IsNaN(c[0]));
    }
}
