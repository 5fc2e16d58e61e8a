using System.Runtime.Intrinsics;
using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The activations' vector eˣ, both widths (the 512-bit one runs, emulated, on any machine), against Math.Exp.</summary>
public class ExpKernelTests
{
    private static float[] Arguments()
    {
        var args = new List<float>();
        for (double x = -87; x <= 88; x += 0.173) args.Add((float)x);
        args.AddRange([0f, -0f, 1e-8f, -1e-8f, 0.5f, -0.5f, 20f, -20f, 88f, -87.3f, -87.4f, -100f, 89f, 1000f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, 1f]);
        while (args.Count % 16 != 0) args.Add(1f);
        return [.. args];
    }

    private static void Check(float x, float e)
    {
        if (float.IsNaN(x)) { Assert.True(float.IsNaN(e), $"exp(NaN) = {e}"); return; }
        if (x > 88) { Assert.Equal(float.PositiveInfinity, e); return; }
        if (x < -87.3365447f) { Assert.Equal(0f, e); return; }
        double expected = Math.Exp(x);
        Assert.True(Math.Abs(e - expected) <= 3e-7 * expected, $"exp({x}) = {e}, expected {expected}");
    }

    [Fact]
    public void Vector512ExpIsWithinTwoUlp()
    {
        var a = Arguments();
        for (int i = 0; i < a.Length; i += 16)
        {
            var e = Kernels.Exp(Vector512.Create<float>(a.AsSpan(i, 16)));
            for (int k = 0; k < 16; k++) Check(a[i + k], e[k]);
        }
    }

    [Fact]
    public void Vector256ExpIsWithinTwoUlp()
    {
        var a = Arguments();
        for (int i = 0; i < a.Length; i += 8)
        {
            var e = Kernels.Exp(Vector256.Create<float>(a.AsSpan(i, 8)));
            for (int k = 0; k < 8; k++) Check(a[i + k], e[k]);
        }
    }
}
