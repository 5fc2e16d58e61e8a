using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The 16 × 16 register transpose moves every value to its transposed place.</summary>
public class TransposeKernelTests
{
    [Fact]
    public unsafe void Transpose16x16MovesEveryValue()
    {
        if (!TransposeKernels.IsSupported) { Assert.False(System.Runtime.Intrinsics.X86.Avx512F.IsSupported); return; }
        const int stride = 21;
        var source = Enumerable.Range(0, 16 * stride).Select(i => (float)i).ToArray();
        var destination = new float[256];
        fixed (float* s = source, d = destination) TransposeKernels.Transpose16x16(s, stride, d);
        for (int r = 0; r < 16; r++)
            for (int c = 0; c < 16; c++)
                Assert.True(source[r * stride + c] == destination[c * 16 + r], $"row {r} column {c}: {destination[c * 16 + r]}");
    }
}
