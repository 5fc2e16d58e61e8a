using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MLNetBackprop.Engine;
using Xunit.Abstractions;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// Which vector paths this test run exercises. The kernels branch on <c>Vector512/Vector256.IsHardwareAccelerated</c>
/// (and GEMM and single-row scoring on AVX-512 / FMA), so one machine runs one path; CI runs the kernel, reference and
/// gradient tests again with the runtime's knobs turning the wider paths off (<c>DOTNET_EnableAVX512=0</c>: the 256-bit
/// paths; <c>DOTNET_EnableAVX2=0</c>: the scalar loops, no FMA) and says which path it wants in
/// <c>MLNETBACKPROP_EXPECT_SIMD</c> (512, 256 or scalar). This test fails when the runtime did not take that path — a
/// knob renamed by a .NET release (as <c>EnableAVX512F</c> was in .NET 10) must not leave CI re-running the wide path
/// under the narrow one's name.
/// </summary>
public class SimdPathTests(ITestOutputHelper output)
{
    public const string Variable = "MLNETBACKPROP_EXPECT_SIMD";

    [Fact]
    public void TheRunTakesTheVectorPathsItWasAskedFor()
    {
        bool v512 = Vector512.IsHardwareAccelerated, v256 = Vector256.IsHardwareAccelerated, fma = Fma.IsSupported;
        output.WriteLine($"Vector512 {v512}, Vector256 {v256}, FMA {fma}, AVX-512F {Avx512F.IsSupported}: GEMM micro-kernel {Gemm.Best}, " +
                         $"optimizer loops {(OptimizerKernels.DefaultWidth == 0 ? "scalar" : OptimizerKernels.DefaultWidth + "-bit")}, " +
                         $"element-wise kernels {(v512 ? "512-bit" : v256 ? "256-bit" : "scalar")}");
        string? expected = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(expected))
        {
            output.WriteLine($"{Variable} is not set: the paths above are this machine's own (CI's narrower runs set it).");
            return;
        }
        output.WriteLine($"{Variable}={expected}");
        switch (expected)
        {
            case "512":
                Assert.True(v512, "asked for the 512-bit paths, but Vector512 is not accelerated");
                Assert.Equal(Gemm.Isa.Avx512, Gemm.Best);
                Assert.Equal(512, OptimizerKernels.DefaultWidth);
                break;
            case "256":
                Assert.False(v512, "asked for the 256-bit paths, but Vector512 is accelerated (is DOTNET_EnableAVX512=0 still the knob?)");
                Assert.True(v256, "asked for the 256-bit paths, but Vector256 is not accelerated");
                Assert.True(fma, "the 256-bit GEMM and scoring tiles need FMA");
                Assert.Equal(Gemm.Isa.Avx2, Gemm.Best);
                Assert.Equal(256, OptimizerKernels.DefaultWidth);
                break;
            case "scalar":
                Assert.False(v512, "asked for the scalar paths, but Vector512 is accelerated");
                Assert.False(v256, "asked for the scalar paths, but Vector256 is accelerated (is DOTNET_EnableAVX2=0 still the knob?)");
                Assert.False(fma, "asked for the scalar paths, but FMA is available");
                Assert.Equal(Gemm.Isa.Scalar, Gemm.Best);
                Assert.Equal(0, OptimizerKernels.DefaultWidth);
                break;
            default:
                Assert.Fail($"{Variable}={expected}: expected 512, 256 or scalar.");
                break;
        }
    }
}
