namespace MLNetBackprop.Engine;

public static partial class Kernels
{
    /// <summary>Applies an activation to <paramref name="values"/> in place (scoring path; the element-wise forward kernels allow x and y to alias).</summary>
    /// <param name="activation">The function.</param>
    /// <param name="values">Pre-activations in, activations out.</param>
    /// <param name="leakySlope">Negative slope of leaky ReLU.</param>
    public static void ActivateInPlace(Activation activation, Span<float> values, float leakySlope)
    {
        switch (activation)
        {
            case Activation.Relu: ReluForward(values, values); break;
            case Activation.LeakyRelu: LeakyReluForward(values, leakySlope, values); break;
            case Activation.Sigmoid: SigmoidForward(values, values); break;
            case Activation.Tanh: TanhForward(values, values); break;
            case Activation.Softplus: SoftplusForward(values, values); break;
            case Activation.Elu: EluForward(values, 1f, values); break;
            case Activation.Gelu: GeluForward(values, false, values); break;
            case Activation.GeluTanh: GeluForward(values, true, values); break;
            case Activation.Silu:
                for (int i = 0; i < values.Length; i++) values[i] *= 1f / (1f + MathF.Exp(-values[i]));
                break;
            case Activation.Identity: break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

}
