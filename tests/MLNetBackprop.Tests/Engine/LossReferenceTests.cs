using System.Text.Json;
using MLNetBackprop.Engine;
using MLNetBackprop.Tests.Reference;

namespace MLNetBackprop.Tests.Engine;

/// <summary>Every case of losses.json: the loss and its gradient match torch's float32 run.</summary>
public class LossReferenceTests
{
    private const string File = "losses.json";

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in ReferenceData.CaseNameList(File)) data.Add(name);
        return data;
    }

    [Fact]
    public void FileHoldsEveryLoss()
    {
        var names = ReferenceData.CaseNameList(File);
        Assert.Equal(8, names.Count);
        foreach (var prefix in new[] { "CrossEntropyLoss", "BCEWithLogitsLoss", "MSELoss", "HuberLoss" })
            Assert.Contains(names, n => n.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>A tensor as a matrix: shape [rows, columns], or [n] as n rows of one column.</summary>
    private static Matrix AsMatrix(JsonElement tensor)
    {
        var (values, shape) = ReferenceData.Tensor(tensor);
        return new Matrix(shape[0], shape.Length > 1 ? shape[1] : 1, values);
    }

    private static float[]? OptionalTensor(JsonElement inputs, string name)
        => inputs.TryGetProperty(name, out var t) ? ReferenceData.Tensor(t).Values : null;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesTorch(string caseName)
    {
        var c = ReferenceData.Case(File, caseName);
        var inputs = c.GetProperty("inputs");
        var hp = c.GetProperty("hyperparameters");
        var expected = c.GetProperty("expected_f32");
        Assert.Equal("mean", hp.GetProperty("reduction").GetString());

        Loss loss;
        Matrix output;
        float[] targets;
        JsonElement expectedGradient;
        if (caseName.StartsWith("CrossEntropyLoss", StringComparison.Ordinal))
        {
            Assert.Equal(-100, hp.GetProperty("ignore_index").GetInt32()); // no target uses it
            loss = new SoftmaxCrossEntropyLoss(OptionalTensor(inputs, "class_weights"), hp.GetProperty("label_smoothing").GetDouble());
            output = AsMatrix(inputs.GetProperty("logits"));
            targets = ReferenceData.Tensor(inputs.GetProperty("targets")).Values;
            expectedGradient = expected.GetProperty("grad_logits");
            Assert.True(loss.TargetsAreClassIndices);
        }
        else
        {
            bool bce = caseName.StartsWith("BCEWithLogitsLoss", StringComparison.Ordinal);
            loss = bce ? new SigmoidCrossEntropyLoss(OptionalTensor(inputs, "pos_weight"))
                : caseName.StartsWith("MSELoss", StringComparison.Ordinal) ? new MeanSquaredErrorLoss()
                : caseName.StartsWith("HuberLoss", StringComparison.Ordinal) ? new HuberLoss(hp.GetProperty("delta").GetDouble())
                : throw new InvalidOperationException($"No loss for case '{caseName}'.");
            output = AsMatrix(inputs.GetProperty(bce ? "logits" : "input"));
            targets = ReferenceData.Tensor(inputs.GetProperty(bce ? "targets" : "target")).Values;
            expectedGradient = expected.GetProperty("grad_input");
            Assert.False(loss.TargetsAreClassIndices);
        }

        var (expectedGrad, _) = ReferenceData.Tensor(expectedGradient);
        var original = output.ToArray();
        var gradient = new Matrix(output.Rows, output.Columns);
        double value = loss.Compute(output, targets, [], gradient);

        AssertClose(expected.GetProperty("loss").GetDouble(), value, $"{caseName}: loss");
        Assert.Equal(expectedGrad.Length, gradient.Length);
        for (int i = 0; i < expectedGrad.Length; i++)
            AssertClose(expectedGrad[i], gradient.Span[i], $"{caseName}: gradient[{i}]");
        Assert.Equal(original, output.ToArray()); // Compute does not touch the output

        // The loss is accumulated in double, so it also meets the float64 reference at the same tolerance.
        AssertClose(c.GetProperty("expected").GetProperty("loss").GetDouble(), value, $"{caseName}: loss vs float64");

        // The gradient may be written over the output itself, with the same result.
        double inPlace = loss.Compute(output, targets, [], output);
        Assert.Equal(value, inPlace);
        Assert.Equal(gradient.ToArray(), output.ToArray());
    }

    /// <summary>The reference tolerance: |ours − torch| ≤ 1e-5·|torch| + 1e-6.</summary>
    internal static void AssertClose(double reference, double actual, string what)
    {
        double error = Math.Abs(actual - reference);
        Assert.True(error <= 1e-5 * Math.Abs(reference) + 1e-6, $"{what}: ours {actual:R}, torch {reference:R} (|Δ| = {error:G3}).");
    }
}
