using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// Each loss's analytic gradient against central differences of its own loss value.
/// </summary>
/// <remarks>
/// The inputs are float32 but every loss accumulates in double, so the loss is a smooth function of
/// the float inputs evaluated to ~1e-16 relative. Step: h = 2⁻¹⁰ ≈ 1e-3, and the divisor is the step
/// actually taken, (double)(x + h) − (double)(x − h), so float rounding of x ± h costs nothing.
/// Errors: truncation h²/6·|f'''| ≤ ~2e-7·|f'''| (f''' of these losses, already divided by N ≥ 8, is ≤ ~0.1;
/// zero for MSE, and for Huber away from its kinks at |r| = δ, which the inputs avoid by ≥ 0.05 ≫ h);
/// round-off ~1e-16·|L|/h ≈ 1e-12; the analytic gradient is stored in float32, ~6e-8 relative.
/// So |numeric − analytic| ≤ 1e-5·|analytic| + 1e-7 has a margin of ≥ 5× on each term.
/// </remarks>
public class LossGradientCheckTests
{
    private const float H = 1f / 1024;

    public static TheoryData<string> Configurations() => ["ce", "ce-weighted-smoothed", "ce-row-weights", "bce", "bce-pos-weight-row-weights", "mse", "mse-row-weights", "huber", "huber-row-weights"];

    private static (Loss Loss, Matrix Output, float[] Targets, float[] RowWeights) Build(string configuration)
    {
        var random = new Random(configuration.Aggregate(17, (h, ch) => unchecked(h * 31 + ch)));
        float Uniform(double low, double high) => (float)(low + (high - low) * random.NextDouble());
        const int rows = 6, columns = 4;
        var output = new Matrix(rows, columns);
        for (int i = 0; i < output.Length; i++) output.Span[i] = Uniform(-3, 3);
        float[] rowWeights = configuration.EndsWith("row-weights", StringComparison.Ordinal)
            ? [0.5f, 2f, 1f, 0f, 3.25f, 1f]
            : [];

        if (configuration.StartsWith("ce", StringComparison.Ordinal))
        {
            var targets = new float[rows];
            for (int i = 0; i < rows; i++) targets[i] = random.Next(columns);
            Loss loss = configuration switch
            {
                "ce-weighted-smoothed" => new SoftmaxCrossEntropyLoss([0.2f, 1f, 2.5f, 0.7f], labelSmoothing: 0.1),
                "ce-row-weights" => new SoftmaxCrossEntropyLoss([0.5f, 1.5f, 1f, 2f], labelSmoothing: 0.05),
                _ => new SoftmaxCrossEntropyLoss(),
            };
            return (loss, output, targets, rowWeights);
        }

        var values = new float[rows * columns];
        if (configuration.StartsWith("bce", StringComparison.Ordinal))
        {
            for (int i = 0; i < values.Length; i++) values[i] = i % 3 == 0 ? i % 2 : Uniform(0, 1);
            Loss bce = configuration == "bce" ? new SigmoidCrossEntropyLoss() : new SigmoidCrossEntropyLoss([3f, 0.5f, 1f, 0f]);
            return (bce, output, values, rowWeights);
        }

        for (int i = 0; i < values.Length; i++) values[i] = Uniform(-3, 3);
        if (configuration.StartsWith("huber", StringComparison.Ordinal))
        {
            // Keep every residual at least 0.05 away from the kinks ±δ.
            const double delta = 0.7;
            for (int i = 0; i < values.Length; i++)
            {
                double r = output.Span[i] - values[i];
                if (Math.Abs(Math.Abs(r) - delta) < 0.05) values[i] += 0.2f;
            }
            return (new HuberLoss(delta), output, values, rowWeights);
        }
        return (new MeanSquaredErrorLoss(), output, values, rowWeights);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void AnalyticGradientMatchesCentralDifferences(string configuration)
    {
        var (loss, output, targets, rowWeights) = Build(configuration);
        var gradient = new Matrix(output.Rows, output.Columns);
        loss.Compute(output, targets, rowWeights, gradient);
        var analytic = gradient.ToArray();
        var scratch = new Matrix(output.Rows, output.Columns);

        for (int i = 0; i < output.Length; i++)
        {
            float x = output.Span[i];
            float plus = x + H, minus = x - H;
            output.Span[i] = plus;
            double lossPlus = loss.Compute(output, targets, rowWeights, scratch);
            output.Span[i] = minus;
            double lossMinus = loss.Compute(output, targets, rowWeights, scratch);
            output.Span[i] = x;

            double numeric = (lossPlus - lossMinus) / ((double)plus - minus);
            double error = Math.Abs(numeric - analytic[i]);
            Assert.True(error <= 1e-5 * Math.Abs(analytic[i]) + 1e-7,
                $"{configuration}: element {i}: analytic {analytic[i]:R}, numeric {numeric:R} (|Δ| = {error:G3}).");
        }
    }
}
