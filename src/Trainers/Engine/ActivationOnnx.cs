using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>
/// Each activation as ONNX (opset 12) nodes — the same formulas as <see cref="ActivationFunctions"/>: a built-in
/// operator where ONNX has one (Relu, LeakyRelu, Sigmoid, Tanh, Softplus, Elu, Selu), else composed from elementwise
/// operators (GELU from Erf, the tanh GELU, SiLU = x·σ(x), Mish = x·tanh(softplus(x))).
/// </summary>
internal static class ActivationOnnx
{
    /// <summary>Adds the nodes of <paramref name="activation"/> applied to <paramref name="x"/>; returns the output.</summary>
    public static string Emit(OnnxGraph g, Activation activation, string x, float leakySlope) => activation switch
    {
        Activation.Identity => x,
        Activation.Relu => g.Unary("Relu", x),
        Activation.LeakyRelu => g.Unary("LeakyRelu", x, attributes: new OnnxAttributes().Float("alpha", leakySlope)),
        Activation.Sigmoid => g.Unary("Sigmoid", x),
        Activation.Tanh => g.Unary("Tanh", x),
        Activation.Softplus => g.Unary("Softplus", x),
        Activation.Elu => g.Unary("Elu", x, attributes: new OnnxAttributes().Float("alpha", 1f)),
        Activation.Selu => g.Unary("Selu", x, attributes: new OnnxAttributes()
            .Float("alpha", (float)ActivationFunctions.SeluAlpha).Float("gamma", (float)ActivationFunctions.SeluScale)),
        // x·Φ(x) = x·½·(1 + erf(x/√2))
        Activation.Gelu => g.Mul(g.Mul(x, g.Scalar(0.5f)),
            g.Add(g.Unary("Erf", g.Mul(x, g.Scalar((float)(1 / Math.Sqrt(2))))), g.Scalar(1f))),
        // ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        Activation.GeluTanh => g.Mul(g.Mul(x, g.Scalar(0.5f)), g.Add(g.Scalar(1f), g.Unary("Tanh",
            g.Mul(g.Scalar((float)Math.Sqrt(2 / Math.PI)), g.Add(x, g.Mul(g.Scalar(0.044715f), g.Mul(x, g.Mul(x, x)))))))),
        Activation.Silu => g.Mul(x, g.Unary("Sigmoid", x)),
        Activation.Mish => g.Mul(x, g.Unary("Tanh", g.Unary("Softplus", x))),
        _ => throw new NotSupportedException($"Activation {activation} has no ONNX form."),
    };
}
