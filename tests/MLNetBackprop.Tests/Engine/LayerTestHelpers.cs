using System.Text.Json;
using MLNetBackprop.Engine;
using MLNetBackprop.Tests.Reference;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Shared helpers of the layer tests.</summary>
internal static class LayerTestHelpers
{
    public const double RelativeTolerance = 1e-5;
    public const double AbsoluteTolerance = 1e-6;

    public static Matrix MatrixOf(float[] values, int rows, int columns) => new(rows, columns, (float[])values.Clone());

    public static Matrix MatrixOf(JsonElement tensor)
    {
        var (values, shape) = ReferenceData.Tensor(tensor);
        return shape.Length switch
        {
            1 => new Matrix(1, shape[0], values),
            2 => new Matrix(shape[0], shape[1], values),
            _ => throw new InvalidDataException("Only 1-D and 2-D tensors are used here."),
        };
    }

    public static Matrix Ones(int rows, int columns)
    {
        var m = new Matrix(rows, columns);
        m.Span.Fill(1f);
        return m;
    }

    public static Matrix Random(int rows, int columns, long seed, float low = -1f, float high = 1f)
    {
        var rng = new CounterRandom(seed, 777);
        var m = new Matrix(rows, columns);
        var s = m.Span;
        for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * rng.NextSingle();
        return m;
    }

    /// <summary>[rows × cols] row-major → [cols × rows] row-major.</summary>
    public static float[] Transpose(ReadOnlySpan<float> values, int rows, int cols)
    {
        var t = new float[values.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = values[i * cols + j];
        return t;
    }

    /// <summary>
    /// Compares with the reference: each value must satisfy |ours − ref| ≤ 1e-5·|ref| + 1e-6 against
    /// the float32 run (expected_f32) or, failing that, against the float64 run (expected). The
    /// second chance exists because we accumulate some statistics in float64 and can be closer to
    /// the exact value than torch's float32 arithmetic (e.g. the constant BatchNorm feature, where
    /// torch's float32 mean is off by an ulp and its output by 1.2e-5).
    /// </summary>
    public static void AssertMatches(ReadOnlySpan<float> actual, JsonElement expectedF32, JsonElement expected64, string label,
        double rtol = RelativeTolerance, double atol = AbsoluteTolerance, Func<int, double>? atolAt = null)
    {
        var (f32, shape32) = ReferenceData.TensorDouble(expectedF32);
        var (f64, _) = ReferenceData.TensorDouble(expected64);
        Assert.True(actual.Length == f32.Length, $"{label}: {actual.Length} values, reference has {f32.Length} (shape [{string.Join(",", shape32)}]).");
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i];
            if (atolAt is not null) atol = atolAt(i);
            bool ok = Math.Abs(a - f32[i]) <= rtol * Math.Abs(f32[i]) + atol
                   || Math.Abs(a - f64[i]) <= rtol * Math.Abs(f64[i]) + atol;
            Assert.True(ok, $"{label}[{i}]: ours {a:R}, reference f32 {f32[i]:R}, f64 {f64[i]:R}.");
        }
    }

    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string label, double rtol = 1e-6, double atol = 1e-7)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= rtol * Math.Abs(expected[i]) + atol,
                $"{label}[{i}]: {actual[i]:R} vs {expected[i]:R}.");
    }
}
