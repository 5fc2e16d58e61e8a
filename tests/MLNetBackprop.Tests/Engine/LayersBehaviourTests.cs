using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Buffer reuse across batch sizes, numerical robustness, the error function.</summary>
public class LayersBehaviourTests
{
    private static Dense MakeDense()
    {
        var dense = new Dense(5, 3, "dense0");
        var rng = new CounterRandom(1, (long)RandomPurpose.Initialization);
        WeightInitializer.Initialize(dense.Weight, 5, 3, WeightInit.XavierUniform, Activation.Identity, 0.01f, ref rng);
        for (int i = 0; i < 3; i++) dense.Bias.Value[i] = 0.1f * (i + 1);
        return dense;
    }

    public static IEnumerable<object[]> LayerKinds =>
        new[] { "dense", "batchnorm", "dropout" }.Concat(Enum.GetNames<Activation>()).Select(n => new object[] { n });

    private static Layer Make(string kind) => kind switch
    {
        "dense" => MakeDense(),
        "batchnorm" => new BatchNormLayer(5, "bn0"),
        "dropout" => MakeDropout(),
        _ => ActivationLayers.Create(Enum.Parse<Activation>(kind), 5),
    };

    private static DropoutLayer MakeDropout()
    {
        var d = new DropoutLayer(5, 0.5f, 1);
        d.SetRandomKey(3, 0, 0);
        return d;
    }

    /// <summary>
    /// One layer fed batches of 7, 3, 9, 3 rows must give, for each call, what a fresh layer gives for
    /// that batch alone: buffers are reused (the output object stays the same while it fits) but no
    /// stale values leak between sizes.
    /// </summary>
    [Theory]
    [MemberData(nameof(LayerKinds))]
    public void ChangingBatchSizesGiveFreshResults(string kind)
    {
        var reused = Make(kind);
        Matrix? previousOutput = null;
        foreach (int rows in new[] { 7, 3, 9, 3 })
        {
            int outWidth = reused.OutputSize;
            var x = Random(rows, reused.InputSize, 100 + rows, -2f, 2f);
            var dy = Random(rows, outWidth, 200 + rows);
            var y = reused.Forward(x, training: true);
            if (previousOutput is not null && rows <= 7) Assert.Same(previousOutput, y);
            previousOutput = y;
            var yValues = y.ToArray();
            var dx = reused.Backward(MatrixOf(dy.ToArray(), rows, outWidth))!.ToArray();
            var grads = reused.Parameters.Select(p => (float[])p.Gradient.Clone()).ToList();

            var fresh = Make(kind);
            var yFresh = fresh.Forward(MatrixOf(x.ToArray(), rows, reused.InputSize), training: true).ToArray();
            var dxFresh = fresh.Backward(MatrixOf(dy.ToArray(), rows, outWidth))!.ToArray();
            Assert.Equal(rows * outWidth, yValues.Length);
            AssertClose(yValues, yFresh, $"{kind} y, {rows} rows", 0, 0);
            AssertClose(dx, dxFresh, $"{kind} dx, {rows} rows", 0, 0);
            for (int p = 0; p < grads.Count; p++)
                AssertClose(grads[p], fresh.Parameters[p].Gradient, $"{kind} grad {p}, {rows} rows", 0, 0);
        }
    }

    /// <summary>After the first batch of a given size, Forward/Backward allocate nothing.</summary>
    [Theory]
    [MemberData(nameof(LayerKinds))]
    public void SteadyStateDoesNotAllocate(string kind)
    {
        var layer = Make(kind);
        var x = Random(16, layer.InputSize, 1);
        var dy = Random(16, layer.OutputSize, 2);
        var small = Random(4, layer.InputSize, 3);
        var dySmall = Random(4, layer.OutputSize, 4);
        for (int warm = 0; warm < 3; warm++)
        {
            layer.Forward(x, true); layer.Backward(dy);
            layer.Forward(small, true); layer.Backward(dySmall);
            layer.Forward(x, false); layer.Backward(dy);
        }
        // A per-call allocation shows up on every attempt; a one-time runtime allocation charged to this
        // thread (tiered-JIT bookkeeping when a method is promoted mid-measurement) shows up once.
        long allocated = long.MaxValue;
        for (int attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            layer.Forward(x, true); layer.Backward(dy);
            layer.Forward(small, true); layer.Backward(dySmall);
            layer.Forward(x, false); layer.Backward(dy, needInputGradient: false);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, allocated);
    }

    [Theory]
    [MemberData(nameof(LayerKinds))]
    public void BackwardWithoutInputGradientReturnsNullButStillWritesParameterGradients(string kind)
    {
        var layer = Make(kind);
        var x = Random(4, layer.InputSize, 5);
        layer.Forward(x, true);
        foreach (var p in layer.Parameters) p.Gradient.AsSpan().Fill(float.NaN);
        Assert.Null(layer.Backward(Random(4, layer.OutputSize, 6), needInputGradient: false));
        foreach (var p in layer.Parameters) Assert.All(p.Gradient, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void DenseBackwardOverwritesGradients()
    {
        var dense = MakeDense();
        var x = Random(4, 5, 1);
        var dy = Random(4, 3, 2);
        dense.Forward(x, true);
        dense.Backward(dy);
        var once = dense.Weight.Gradient.ToArray();
        var bias = dense.Bias.Gradient.ToArray();
        dense.Forward(x, true);
        dense.Backward(dy);
        Assert.Equal(once, dense.Weight.Gradient);
        Assert.Equal(bias, dense.Bias.Gradient);
    }

    [Fact]
    public void DenseUsesInByOutOrientation()
    {
        var dense = new Dense(2, 3, "d");
        // W[i, j] links input i to output j, at index i·3 + j.
        float[] w = [1, 2, 3, 4, 5, 6];
        w.CopyTo(dense.Weight.Value, 0);
        var y = dense.Forward(MatrixOf([1f, 10f], 1, 2), false);
        Assert.Equal([41f, 52f, 63f], y.ToArray());
    }

    [Theory]
    [MemberData(nameof(GradientCheckTests.AllActivations), MemberType = typeof(GradientCheckTests))]
    public void ActivationsStayFiniteOnExtremeInputs(Activation activation)
    {
        float[] xs = [-1e30f, -1000f, -100f, -88.8f, -50f, -20.000002f, -1e-30f, 0f, 1e-30f, 20.000002f, 50f, 88.8f, 100f, 1000f, 1e30f];
        var layer = ActivationLayers.Create(activation, xs.Length);
        var y = layer.Forward(MatrixOf(xs, 1, xs.Length), true).ToArray();
        var dx = layer.Backward(Ones(1, xs.Length))!.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.True(float.IsFinite(y[i]), $"{activation}({xs[i]}) = {y[i]}");
            Assert.True(float.IsFinite(dx[i]), $"{activation}'({xs[i]}) = {dx[i]}");
        }
        // Limits: saturating functions reach their asymptotes, not NaN.
        if (activation == Activation.Sigmoid) { Assert.Equal(0f, y[2], 1e-30f); Assert.Equal(1f, y[12]); }
        if (activation == Activation.Tanh) { Assert.Equal(-1f, y[2]); Assert.Equal(1f, y[12]); }
    }

    [Fact]
    public void BatchNormConstantColumnAndEvalMode()
    {
        var bn = new BatchNormLayer(2, "bn");
        var x = MatrixOf([3f, 1f, 3f, 2f, 3f, 6f], 3, 2);
        var y = bn.Forward(x, true).ToArray();
        var dx = bn.Backward(MatrixOf([1f, 2f, -1f, 0.5f, 0.25f, 1f], 3, 2))!.ToArray();
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.All(dx, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0f, y[0]);
        Assert.Equal(0.9f * 1f + 0.1f * 0f, bn.RunningVariance[0], 6);
        // Eval: the running statistics, no update.
        var rm = bn.RunningMean.ToArray();
        var ye = bn.Forward(MatrixOf([3f, 1f], 1, 2), false).ToArray();
        Assert.Equal(rm, bn.RunningMean);
        Assert.Equal((3f - rm[0]) / MathF.Sqrt(bn.RunningVariance[0] + 1e-5f), ye[0], 5);
    }

    [Fact]
    public void BatchNormSingleRowTrainingBatchLeavesRunningStatsAlone()
    {
        var bn = new BatchNormLayer(3, "bn");
        var y = bn.Forward(MatrixOf([1f, 2f, 3f], 1, 3), true).ToArray();
        Assert.Equal([0f, 0f, 0f], y);
        Assert.Equal([0f, 0f, 0f], bn.RunningMean);
        Assert.Equal([1f, 1f, 1f], bn.RunningVariance);
        Assert.Equal(0, bn.BatchesTracked);
    }

    [Theory]
    // Expected values: Python's math.erf/erfc (libm, correctly rounded to about an ulp).
    [InlineData(0.5, 0.52049987781304653768)]
    [InlineData(1.0, 0.84270079294971486934)]
    [InlineData(-1.0, -0.84270079294971486934)]
    [InlineData(2.0, 0.99532226501895273416)]
    [InlineData(2.4999, 0.9995928300996666)]
    [InlineData(3.0, 0.99997790950300141456)]
    [InlineData(1e-10, 1.1283791670955126e-10)]
    [InlineData(0.0, 0.0)]
    public void ErfMatchesKnownValues(double x, double expected)
        => Assert.True(Math.Abs(ScalarMath.Erf(x) - expected) <= 2e-15 * Math.Abs(expected) + 1e-300, $"erf({x}) = {ScalarMath.Erf(x):R}");

    [Theory]
    [InlineData(0.5, 0.47950012218695346232)]
    [InlineData(2.5, 4.0695201744495893e-04)]
    [InlineData(3.0, 2.2090496998585441373e-05)]
    [InlineData(5.0, 1.5374597944280348502e-12)]
    [InlineData(10.0, 2.0884875837625447570e-45)]
    [InlineData(-2.0, 1.9953222650189527342)]
    [InlineData(26.0, 5.663192408856142e-296)]
    public void ErfcMatchesKnownValues(double x, double expected)
    {
        double tol = 1e-14 * expected;
        Assert.True(Math.Abs(ScalarMath.Erfc(x) - expected) <= tol, $"erfc({x}) = {ScalarMath.Erfc(x):R}");
    }
}
