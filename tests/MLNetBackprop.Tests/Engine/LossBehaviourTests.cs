using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Extreme logits, example (row) weights, predictions and argument checks of the losses.</summary>
public class LossBehaviourTests
{
    private static void AssertAllFinite(ReadOnlySpan<float> values, string what)
    {
        for (int i = 0; i < values.Length; i++)
            Assert.True(float.IsFinite(values[i]), $"{what}[{i}] = {values[i]}");
    }

    // ---- Extreme logits ------------------------------------------------------------------------

    [Fact]
    public void SoftmaxCrossEntropyIsExactOnExtremeLogits()
    {
        // One row at a time: loss = lse − x_t with lse = max exactly (the other terms vanish in double),
        // and the gradient is softmax − one-hot, exact to the last float bit.
        (float[] Logits, int Target, double Loss, float[] Gradient)[] rows =
        [
            ([1e4f, -1e4f, 0f], 1, 2e4, [1f, -1f, 0f]),
            ([-1e4f, 1e4f, 0f], 1, 0, [0f, 0f, 0f]),
            ([-1e4f, 1e4f, 0f], 0, 2e4, [-1f, 1f, 0f]),
            ([100f, -100f, 0f], 1, 200, [1f, -1f, (float)Math.Exp(-100)]), // e⁻¹⁰⁰: a float subnormal, kept
            ([-100f, 100f, 0f], 2, 100, [0f, 1f, -1f]),
        ];
        var loss = new SoftmaxCrossEntropyLoss();
        foreach (var (logits, target, expectedLoss, expectedGradient) in rows)
        {
            var gradient = new Matrix(1, 3);
            double value = loss.Compute(new Matrix(1, 3, logits), [target], [], gradient);
            Assert.Equal(expectedLoss, value);
            Assert.Equal(expectedGradient, gradient.ToArray());
        }

        // ±88 (where float exp overflows): loss 176 + log1p(e⁻⁸⁸ + e⁻¹⁷⁶) and the gradient tail e⁻⁸⁸ (a float subnormal).
        var g88 = new Matrix(1, 3);
        Assert.Equal(176.0, loss.Compute(new Matrix(1, 3, [88f, -88f, 0f]), [1], [], g88), 12);
        Assert.Equal([1f, -1f, (float)Math.Exp(-88)], g88.ToArray());
    }

    [Fact]
    public void ExtremeLogitsGiveFiniteLossesAndGradients()
    {
        float[] logits = [1e4f, -1e4f, 0f, 88f, -88f, 100f, -100f, 1e4f, -1e4f, 88f, 100f, -88f];
        var output = new Matrix(4, 3, logits);
        float[] classes = [1, 0, 2, 0];
        foreach (var loss in new Loss[] { new SoftmaxCrossEntropyLoss(), new SoftmaxCrossEntropyLoss([0.5f, 2f, 1f], 0.2) })
        {
            var gradient = new Matrix(4, 3);
            double value = loss.Compute(output, classes, [1f, 2f, 0.5f, 1f], gradient);
            Assert.True(double.IsFinite(value) && value > 0, $"loss {value}");
            AssertAllFinite(gradient.Span, "gradient");
        }

        // Sigmoid cross-entropy: exact element losses softplus(x) for y = 0 and softplus(−x) for y = 1.
        var targets = new float[logits.Length];
        for (int i = 0; i < targets.Length; i++) targets[i] = i % 2;
        var bce = new Matrix(1, logits.Length, logits);
        var bceGradient = new Matrix(1, logits.Length);
        double bceLoss = new SigmoidCrossEntropyLoss().Compute(bce, targets, [], bceGradient);
        double expected = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i], y = targets[i];
            expected += Math.Max(y == 0 ? x : -x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
            double sigmoid = 1 / (1 + Math.Exp(-x));
            Assert.Equal((float)((sigmoid - y) / logits.Length), bceGradient.Span[i]);
        }
        Assert.Equal(expected / logits.Length, bceLoss, 9);
        AssertAllFinite(bceGradient.Span, "bce gradient");
    }

    [Fact]
    public void PredictionsAreFiniteOnExtremeLogits()
    {
        var softmax = new Matrix(3, 3, [1e4f, -1e4f, 0f, 88f, 89f, -88f, 0.5f, 0.5f, 0.5f]);
        new SoftmaxCrossEntropyLoss().Predict(softmax);
        AssertAllFinite(softmax.Span, "softmax");
        Assert.Equal([1f, 0f, 0f], softmax.Row(0).ToArray());
        Assert.Equal((float)(1 / (1 + Math.E)), softmax[1, 0], 6);
        Assert.Equal((float)(Math.E / (1 + Math.E)), softmax[1, 1], 6);
        for (int i = 0; i < 3; i++) Assert.Equal(1f, softmax[2, i] * 3, 6);

        var sigmoid = new Matrix(1, 6, [1e4f, -1e4f, 100f, -100f, 0f, 2f]);
        new SigmoidCrossEntropyLoss().Predict(sigmoid);
        AssertAllFinite(sigmoid.Span, "sigmoid");
        Assert.Equal([1f, 0f, 1f], sigmoid.Span[..3].ToArray());
        Assert.InRange(sigmoid[0, 3], 0f, 1e-43f); // σ(−100) ≈ 3.7e-44
        Assert.Equal(0.5f, sigmoid[0, 4]);
        Assert.Equal((float)(1 / (1 + Math.Exp(-2))), sigmoid[0, 5], 6);

        float[] raw = [1e4f, -3.5f, 0f];
        foreach (var identity in new Loss[] { new MeanSquaredErrorLoss(), new HuberLoss() })
        {
            var m = new Matrix(1, 3, (float[])raw.Clone());
            identity.Predict(m);
            Assert.Equal(raw, m.ToArray());
        }
    }

    // ---- Row weights ---------------------------------------------------------------------------

    public static TheoryData<string> LossNames() => ["ce", "ce-weighted-smoothed", "bce", "bce-pos-weight", "mse", "huber"];

    private static (Loss Loss, Matrix Output, float[] Targets) Sample(string name)
    {
        const int rows = 5, columns = 3;
        var random = new Random(name.Length * 101 + name[^1]);
        var output = new Matrix(rows, columns);
        for (int i = 0; i < output.Length; i++) output.Span[i] = (float)(random.NextDouble() * 6 - 3);
        switch (name)
        {
            case "ce":
            case "ce-weighted-smoothed":
                float[] classes = [0, 2, 1, 2, 0];
                return (name == "ce" ? new SoftmaxCrossEntropyLoss() : new SoftmaxCrossEntropyLoss([0.3f, 2f, 1.25f], 0.15), output, classes);
            default:
                var targets = new float[rows * columns];
                bool bce = name.StartsWith("bce", StringComparison.Ordinal);
                for (int i = 0; i < targets.Length; i++) targets[i] = bce ? (float)random.NextDouble() : (float)(random.NextDouble() * 6 - 3);
                Loss loss = name switch
                {
                    "bce" => new SigmoidCrossEntropyLoss(),
                    "bce-pos-weight" => new SigmoidCrossEntropyLoss([2f, 0.5f, 1f]),
                    "mse" => new MeanSquaredErrorLoss(),
                    _ => new HuberLoss(0.8),
                };
                return (loss, output, targets);
        }
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void UnitRowWeightsEqualNoRowWeights(string name)
    {
        var (loss, output, targets) = Sample(name);
        var plain = new Matrix(output.Rows, output.Columns);
        var weighted = new Matrix(output.Rows, output.Columns);
        double a = loss.Compute(output, targets, [], plain);
        double b = loss.Compute(output, targets, Enumerable.Repeat(1f, output.Rows).ToArray(), weighted);
        Assert.Equal(a, b);
        Assert.Equal(plain.ToArray(), weighted.ToArray());
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void RowWeightOfTwoEqualsDuplicatingTheRow(string name)
    {
        var (loss, output, targets) = Sample(name);
        int rows = output.Rows, columns = output.Columns, doubled = 2;
        int perRow = loss.TargetsAreClassIndices ? 1 : columns;

        // Weighted: row 2 has weight 2.
        var rowWeights = Enumerable.Repeat(1f, rows).ToArray();
        rowWeights[doubled] = 2;
        var weightedGradient = new Matrix(rows, columns);
        double weighted = loss.Compute(output, targets, rowWeights, weightedGradient);

        // Duplicated: row 2 appended once more.
        var duplicated = new Matrix(rows + 1, columns);
        output.Span.CopyTo(duplicated.Span);
        output.Row(doubled).CopyTo(duplicated.Row(rows));
        float[] duplicatedTargets = [.. targets, .. targets.AsSpan(doubled * perRow, perRow)];
        var duplicatedGradient = new Matrix(rows + 1, columns);
        double expected = loss.Compute(duplicated, duplicatedTargets, [], duplicatedGradient);

        Assert.Equal(expected, weighted, 12);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                double want = duplicatedGradient[i, j] + (i == doubled ? duplicatedGradient[rows, j] : 0);
                Assert.True(Math.Abs(weightedGradient[i, j] - want) <= 1e-6 * Math.Abs(want) + 1e-9,
                    $"{name}: gradient ({i}, {j}): {weightedGradient[i, j]:R} vs {want:R}");
            }
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void ZeroRowWeightsDropRows(string name)
    {
        var (loss, output, targets) = Sample(name);
        int perRow = loss.TargetsAreClassIndices ? 1 : output.Columns;
        var gradient = new Matrix(output.Rows, output.Columns);
        double weighted = loss.Compute(output, targets, [1f, 0f, 1f, 1f, 1f], gradient);
        Assert.All(gradient.Row(1).ToArray(), g => Assert.Equal(0f, g));

        var kept = new Matrix(output.Rows - 1, output.Columns);
        output.Row(0).CopyTo(kept.Row(0));
        output.Span[(2 * output.Columns)..].CopyTo(kept.Span[output.Columns..]);
        float[] keptTargets = [.. targets.AsSpan(0, perRow), .. targets.AsSpan(2 * perRow)];
        Assert.Equal(loss.Compute(kept, keptTargets, [], new Matrix(kept.Rows, kept.Columns)), weighted, 12);

        // All weights zero: nothing to average, so loss and gradient are 0 rather than NaN.
        Assert.Equal(0, loss.Compute(output, targets, new float[output.Rows], gradient));
        Assert.All(gradient.ToArray(), g => Assert.Equal(0f, g));
    }

    // ---- Kinds, shapes and argument checks -----------------------------------------------------

    [Fact]
    public void KindsAndTargetLayouts()
    {
        Assert.Equal(LossKind.SoftmaxCrossEntropy, new SoftmaxCrossEntropyLoss().Kind);
        Assert.Equal(LossKind.SigmoidCrossEntropy, new SigmoidCrossEntropyLoss().Kind);
        Assert.Equal(LossKind.MeanSquaredError, new MeanSquaredErrorLoss().Kind);
        Assert.Equal(LossKind.Huber, new HuberLoss().Kind);
        Assert.Equal(1.0, new HuberLoss().Delta);
        Assert.True(new SoftmaxCrossEntropyLoss().TargetsAreClassIndices);
        Assert.False(new SigmoidCrossEntropyLoss().TargetsAreClassIndices);
        Assert.Equal([0.5f, 2f], new SoftmaxCrossEntropyLoss([0.5f, 2f]).ClassWeights);
        Assert.Null(new SigmoidCrossEntropyLoss().PositiveWeights);
    }

    [Fact]
    public void GradientTakesTheOutputsRowCount()
    {
        var gradient = new Matrix(1, 2);
        new MeanSquaredErrorLoss().Compute(new Matrix(3, 2, [1, 2, 3, 4, 5, 6]), new float[6], [], gradient);
        Assert.Equal(3, gradient.Rows);
        Assert.Equal([1f / 3, 2f / 3, 1f, 4f / 3, 5f / 3, 2f], gradient.ToArray());
    }

    [Fact]
    public void InvalidArgumentsThrow()
    {
        var output = new Matrix(2, 3);
        var gradient = new Matrix(2, 3);
        var ce = new SoftmaxCrossEntropyLoss();
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => ce.Compute(output, [0, 3], [], gradient)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => ce.Compute(output, [0, 1.5f], [], gradient)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => ce.Compute(output, [-1, 0], [], gradient)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => ce.Compute(output, [float.NaN, 0], [], gradient)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => ce.Compute(output, [0, 1, 2], [], gradient)).ParamName);
        Assert.Equal("rowWeights", Assert.Throws<ArgumentException>(() => ce.Compute(output, [0, 1], [1f], gradient)).ParamName);
        Assert.Equal("rowWeights", Assert.Throws<ArgumentOutOfRangeException>(() => ce.Compute(output, [0, 1], [1f, -1f], gradient)).ParamName);
        Assert.Equal("rowWeights", Assert.Throws<ArgumentOutOfRangeException>(() => ce.Compute(output, [0, 1], [1f, float.NaN], gradient)).ParamName);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => ce.Compute(output, [0, 1], [], new Matrix(2, 2))).ParamName);
        Assert.Equal("classWeights", Assert.Throws<ArgumentException>(() => new SoftmaxCrossEntropyLoss([1f, 2f]).Compute(output, [0, 1], [], gradient)).ParamName);
        Assert.Equal("classWeights", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxCrossEntropyLoss([1f, -2f, 1f])).ParamName);
        Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxCrossEntropyLoss(labelSmoothing: 1.5)).ParamName);

        var bce = new SigmoidCrossEntropyLoss();
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => bce.Compute(output, [0, 1, 0, 1, 1.5f, 0], [], gradient)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => bce.Compute(output, [0, 1], [], gradient)).ParamName);
        Assert.Equal("positiveWeights", Assert.Throws<ArgumentException>(() => new SigmoidCrossEntropyLoss([1f]).Compute(output, new float[6], [], gradient)).ParamName);
        Assert.Equal("positiveWeights", Assert.Throws<ArgumentOutOfRangeException>(() => new SigmoidCrossEntropyLoss([float.PositiveInfinity])).ParamName);

        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(0)).ParamName);
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(double.NaN)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new MeanSquaredErrorLoss().Compute(output, new float[5], [], gradient)).ParamName);
    }
}
