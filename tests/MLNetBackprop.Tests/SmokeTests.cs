using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests;

public class SmokeTests
{
    [Fact]
    public void MatMulMatchesDefinition()
    {
        float[] a = [1, 2, 3, 4, 5, 6]; // 2×3
        float[] b = [7, 8, 9, 10, 11, 12]; // 3×2
        var c = new float[4];
        Kernels.MatMul(a, b, c, 2, 3, 2);
        Assert.Equal([58f, 64f, 139f, 154f], c);
    }
}
