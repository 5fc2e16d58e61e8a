using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// Central-difference gradient check of a stack of layers in training mode, in float32 as the
/// engine runs. The objective is L = Σ r ⊙ Y for a fixed random r, accumulated in float64, so
/// dL/dY = r is what Backward receives.
/// <para>
/// Step and tolerance: each of the N outputs carries float32 rounding of ~6e-8 relative, so L is
/// off by up to ~6e-8·Σ|r·y| (≈ 1e-6 for our sizes, where Σ|r·y| ≲ 20); dividing by 2h with
/// h = 1e-2·max(1, |x|) gives a rounding error of ~5e-5 in the difference quotient. The truncation
/// error of the central difference is h²/6·|f'''| ≈ 2e-5·|f'''|, under 1e-3 relative for the smooth
/// functions tested (inputs are kept ≥ 0.15 away from the kinks of ReLU and leaky ReLU, more than h).
/// Hence the test |numeric − analytic| ≤ 1e-2·max(|numeric|, |analytic|) + 1e-3: an order of
/// magnitude above both error sources, yet a wrong derivative (off by a factor, or a missing term)
/// misses it by far — see the deliberately broken layer in the tests.
/// </para>
/// </summary>
internal static class GradientChecker
{
    public const double RelativeTolerance = 1e-2;
    public const double AbsoluteTolerance = 1e-3;

    public sealed record Result(bool Passed, int Checked, string Worst, IReadOnlyList<string> Failures);

    public static Result Check(IReadOnlyList<Layer> layers, Matrix input, long seed = 1)
    {
        int outWidth = layers[^1].OutputSize;
        var rng = new CounterRandom(seed, 4242);
        var r = new float[input.Rows * outWidth];
        for (int i = 0; i < r.Length; i++) r[i] = 2f * rng.NextSingle() - 1f;

        // Analytic gradients.
        Forward(layers, input, r);
        Matrix? g = new Matrix(input.Rows, outWidth, (float[])r.Clone());
        for (int l = layers.Count - 1; l >= 0; l--) g = layers[l].Backward(g!, needInputGradient: true);
        var inputGradient = g!.ToArray();
        var parameterGradients = layers.SelectMany(l => l.Parameters).Select(p => (p, grad: (float[])p.Gradient.Clone())).ToList();

        var failures = new List<string>();
        int count = 0;
        double worst = -1;
        string worstText = "";
        void Compare(float[] values, int index, float analytic, string label)
        {
            float original = values[index];
            double h = 1e-2 * Math.Max(1.0, Math.Abs(original));
            float plus = (float)(original + h), minus = (float)(original - h);
            values[index] = plus;
            double lPlus = Forward(layers, input, r);
            values[index] = minus;
            double lMinus = Forward(layers, input, r);
            values[index] = original;
            // Divide by the float32 step actually taken.
            double numeric = (lPlus - lMinus) / ((double)plus - minus);
            double error = Math.Abs(numeric - analytic);
            double allowed = RelativeTolerance * Math.Max(Math.Abs(numeric), Math.Abs(analytic)) + AbsoluteTolerance;
            count++;
            string text = $"{label}: analytic {analytic:G6}, numeric {numeric:G6}";
            if (error / allowed > worst) { worst = error / allowed; worstText = text; }
            if (error > allowed) failures.Add(text);
        }

        foreach (var (p, grad) in parameterGradients)
            for (int i = 0; i < p.Length; i++) Compare(p.Value, i, grad[i], $"{p.Name}[{i}]");
        // The input matrix may be a view on a longer buffer; perturb its live values.
        var inputData = input.Data;
        for (int i = 0; i < input.Length; i++) Compare(inputData, i, inputGradient[i], $"input[{i}]");
        // Leave the layers in the state of the unperturbed input.
        Forward(layers, input, r);
        return new Result(failures.Count == 0, count, $"{worstText} (error/allowed {worst:G3})", failures);
    }

    private static double Forward(IReadOnlyList<Layer> layers, Matrix input, float[] r)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Forward(x, training: true);
        var y = x.Span;
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (double)r[i] * y[i];
        return sum;
    }

    public static void AssertPasses(IReadOnlyList<Layer> layers, Matrix input, long seed = 1)
    {
        var result = Check(layers, input, seed);
        Assert.True(result.Passed, $"{result.Failures.Count} of {result.Checked} gradients wrong, e.g. {string.Join("; ", result.Failures.Take(5))}");
        Assert.True(result.Checked > 0);
    }
}
