namespace MLNetBackprop.Engine;

/// <summary>
/// The scalar maths of every activation: value and derivative, in float64, with torch's
/// conventions at the kinks (relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = α) and forms that
/// stay finite for any finite input. The element-wise kernels call these (or vectorised
/// equivalents) per element.
/// </summary>
public static class ActivationFunctions
{
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrtPi = 0.56418958354775628695;
    private const double InvSqrt2Pi = 0.39894228040143267794;
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double GeluTanhCubic = 0.044715;

    /// <summary>1/(1 + e⁻ˣ), evaluated so the exponential never overflows.</summary>
    /// <param name="x">Input.</param>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1.0 / (1.0 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

    /// <summary>σ'(x) from the saved output y = σ(x): y·(1 − y), as torch computes it.</summary>
    /// <param name="y">The sigmoid's output.</param>
    public static double SigmoidDerivativeFromOutput(double y) => y * (1.0 - y);

    /// <summary>tanh(x).</summary>
    /// <param name="x">Input.</param>
    public static double Tanh(double x) => Math.Tanh(x);

    /// <summary>tanh'(x) from the saved output y = tanh(x): 1 − y².</summary>
    /// <param name="y">The tanh's output.</param>
    public static double TanhDerivativeFromOutput(double y) => 1.0 - y * y;

    /// <summary>max(0, x).</summary>
    /// <param name="x">Input.</param>
    public static double Relu(double x) => x > 0 ? x : 0.0;

    /// <summary>1 for x &gt; 0, else 0 (so relu'(0) = 0, as in torch).</summary>
    /// <param name="x">Input.</param>
    public static double ReluDerivative(double x) => x > 0 ? 1.0 : 0.0;

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    /// <param name="x">Input.</param>
    /// <param name="slope">Negative slope (0.01 in torch).</param>
    public static double LeakyRelu(double x, double slope) => x > 0 ? x : slope * x;

    /// <summary>1 for x &gt; 0, else slope (torch: x &gt; 0 ? 1 : slope, so the value at 0 is slope).</summary>
    /// <param name="x">Input.</param>
    /// <param name="slope">Negative slope.</param>
    public static double LeakyReluDerivative(double x, double slope) => x > 0 ? 1.0 : slope;

    /// <summary>log(1 + e^(βx))/β, or x itself when βx &gt; threshold (torch's linear regime).</summary>
    /// <param name="x">Input.</param>
    /// <param name="beta">β (1 by default).</param>
    /// <param name="threshold">Above this βx the function is taken as linear (20 by default).</param>
    public static double Softplus(double x, double beta = 1.0, double threshold = 20.0)
    {
        double bx = beta * x;
        if (bx > threshold) return x;
        // log1p keeps the tiny values of the far left tail exact; exp(bx) ≤ e²⁰ cannot overflow.
        return LogOnePlus(Math.Exp(bx)) / beta;
    }

    /// <summary>σ(βx) where the function is smooth, 1 in the linear regime βx &gt; threshold.</summary>
    /// <param name="x">Input.</param>
    /// <param name="beta">β.</param>
    /// <param name="threshold">Linear-regime threshold.</param>
    public static double SoftplusDerivative(double x, double beta = 1.0, double threshold = 20.0)
        => beta * x > threshold ? 1.0 : Sigmoid(beta * x);

    /// <summary>x for x &gt; 0, α·(eˣ − 1) otherwise (with an accurate eˣ − 1 near 0).</summary>
    /// <param name="x">Input.</param>
    /// <param name="alpha">α (1 by default).</param>
    public static double Elu(double x, double alpha = 1.0) => x > 0 ? x : alpha * ExpMinusOne(x);

    /// <summary>1 for x &gt; 0, α·eˣ for x ≤ 0 (torch's branch; 1 at 0 when α = 1).</summary>
    /// <param name="x">Input.</param>
    /// <param name="alpha">α.</param>
    public static double EluDerivative(double x, double alpha = 1.0) => x > 0 ? 1.0 : alpha * Math.Exp(x);

    /// <summary>Exact GELU: x·Φ(x), Φ the standard normal CDF, via erfc so the left tail is not lost to cancellation.</summary>
    /// <param name="x">Input.</param>
    public static double Gelu(double x) => x * NormalCdf(x);

    /// <summary>Exact GELU derivative: Φ(x) + x·φ(x).</summary>
    /// <param name="x">Input.</param>
    public static double GeluDerivative(double x) => NormalCdf(x) + x * InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>Tanh-approximated GELU: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    /// <param name="x">Input.</param>
    public static double GeluTanh(double x)
    {
        double t = Math.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x));
        return 0.5 * x * (1.0 + t);
    }

    /// <summary>Derivative of the tanh-approximated GELU.</summary>
    /// <param name="x">Input.</param>
    public static double GeluTanhDerivative(double x)
    {
        double t = Math.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x));
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SqrtTwoOverPi * (1.0 + 3.0 * GeluTanhCubic * x * x);
    }

    /// <summary>SiLU (swish): x·σ(x).</summary>
    /// <param name="x">Input.</param>
    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>SiLU derivative: σ(x)·(1 + x·(1 − σ(x))).</summary>
    /// <param name="x">Input.</param>
    public static double SiluDerivative(double x)
    {
        double s = Sigmoid(x);
        return s * (1.0 + x * (1.0 - s));
    }

    /// <summary>SELU's α (torch.nn.SELU; Klambauer et al. 2017).</summary>
    public const double SeluAlpha = 1.6732632423543772848170429916717;

    /// <summary>SELU's scale λ (torch.nn.SELU).</summary>
    public const double SeluScale = 1.0507009873554804934193349852946;

    /// <summary>SELU: λ·x for x &gt; 0, λ·α·(eˣ − 1) otherwise.</summary>
    /// <param name="x">Input.</param>
    public static double Selu(double x) => SeluScale * (x > 0 ? x : SeluAlpha * ExpMinusOne(x));

    /// <summary>SELU derivative: λ for x &gt; 0, λ·α·eˣ for x ≤ 0 (torch's branch, as ELU).</summary>
    /// <param name="x">Input.</param>
    public static double SeluDerivative(double x) => x > 0 ? SeluScale : SeluScale * SeluAlpha * Math.Exp(x);

    /// <summary>Mish: x·tanh(softplus(x)) (torch.nn.Mish; softplus without a linear regime).</summary>
    /// <param name="x">Input.</param>
    public static double Mish(double x) => x * MishTanhSoftplus(x);

    /// <summary>Mish derivative: tanh(sp(x)) + x·σ(x)·(1 − tanh²(sp(x))), sp = softplus.</summary>
    /// <param name="x">Input.</param>
    public static double MishDerivative(double x)
    {
        double t = MishTanhSoftplus(x);
        return t + x * Sigmoid(x) * (1.0 - t * t);
    }

    /// <summary>
    /// tanh(log(1 + eˣ)) = n/(n + 2) with n = eˣ·(eˣ + 2): exact algebra that needs one exponential and
    /// never overflows (eˣ is capped at e²⁰, where the ratio is already 1 in double to 2e−18).
    /// </summary>
    private static double MishTanhSoftplus(double x)
    {
        if (x > 20) return 1.0;
        double e = Math.Exp(x), n = e * (e + 2.0);
        return n / (n + 2.0);
    }

    /// <summary>The standard normal CDF Φ(x) = ½·erfc(−x/√2).</summary>
    /// <param name="x">Input.</param>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    /// <summary>
    /// The error function to about 1e-15 relative: a positive-term series
    /// erf(x) = (2/√π)·e^(−x²)·Σ (2x²)ⁿ·x/(1·3···(2n+1)) for |x| &lt; 2.5 (no cancellation), and
    /// 1 − erfc(x) beyond, erfc from its continued fraction. (.NET has no Math.Erf.)
    /// </summary>
    /// <param name="x">Input.</param>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax < 2.5) return ErfSeries(x);
        double r = 1.0 - ErfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>The complementary error function 1 − erf(x), accurate in the tail (no cancellation for large x).</summary>
    /// <param name="x">Input.</param>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (Math.Abs(x) < 2.5) return 1.0 - ErfSeries(x);
        return x > 0 ? ErfcContinuedFraction(x) : 2.0 - ErfcContinuedFraction(-x);
    }

    private static double ErfSeries(double x)
    {
        double x2 = x * x;
        double term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
        }
        return 2.0 * InvSqrtPi * Math.Exp(-x2) * sum;
    }

    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), x ≥ 2.5, modified Lentz.
    private static double ErfcContinuedFraction(double x)
    {
        if (x > 27.3) return 0.0; // e^(−x²) underflows double.
        const double tiny = 1e-300;
        double f = x, c = x, d = 0.0;
        for (int n = 1; n < 500; n++)
        {
            double a = 0.5 * n;
            d = x + a * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = x + a / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16) break;
        }
        return InvSqrtPi * Math.Exp(-x * x) / f;
    }

    /// <summary>eˣ − 1 without cancellation near 0 (Kahan's trick).</summary>
    /// <param name="x">Input.</param>
    public static double ExpMinusOne(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }

    /// <summary>log(1 + x) without cancellation for small x (Goldberg's trick).</summary>
    /// <param name="x">Input, &gt; −1.</param>
    public static double LogOnePlus(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>
    /// The largest |f(x)| for |x| ≤ <paramref name="inputBound"/>: |x| for ReLU, GELU, SiLU, Mish and the identity (each
    /// within ±|x|), max(1, slope)·|x| for leaky ReLU, max(|x|, 1) for ELU, λ·max(|x|, α) for SELU, |x| + ln 2 for softplus,
    /// 1 for tanh and sigmoid. Used to prove a network cannot overflow (<see cref="InferenceNetwork"/>).
    /// </summary>
    /// <param name="activation">The function.</param>
    /// <param name="inputBound">The largest input magnitude (≥ 0).</param>
    /// <param name="slope">Leaky ReLU's negative slope.</param>
    public static double Bound(Activation activation, double inputBound, double slope) => activation switch
    {
        Activation.Relu or Activation.Gelu or Activation.GeluTanh or Activation.Silu or Activation.Mish or Activation.Identity => inputBound,
        Activation.LeakyRelu => Math.Max(1, slope) * inputBound,
        Activation.Elu => Math.Max(inputBound, 1),
        Activation.Selu => SeluScale * Math.Max(inputBound, SeluAlpha),
        Activation.Softplus => inputBound + Math.Log(2),
        Activation.Tanh or Activation.Sigmoid => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };
}
