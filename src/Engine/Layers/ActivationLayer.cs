using MLNetBackprop.Onnx;

namespace MLNetBackprop.Engine;

/// <summary>
/// Base of the element-wise activation layers: width in = width out, no parameters. It keeps a
/// reference to the input and its own output buffer, which is what the derivatives need (sigmoid
/// and tanh use the output, the others the input). A subclass is the one place of everything about
/// its function: the float64 definition (<see cref="Reference"/>, <see cref="ReferenceDerivative"/>), the
/// float32 forward and backward the network runs (operators for the element-wise kernels), the
/// initialisation it wants before it, the bound that proves a model cannot overflow, and its ONNX form.
/// </summary>
public abstract class ActivationLayer : Layer
{
    private Matrix? _input;
    private Matrix? _output;
    private Matrix? _inputGradient;

    /// <summary>Creates an activation layer over rows of <paramref name="width"/> values.</summary>
    /// <param name="width">Number of units.</param>
    protected ActivationLayer(int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Width = width;
    }

    /// <summary>Number of units (input and output width).</summary>
    public int Width { get; }

    /// <inheritdoc />
    public override int InputSize => Width;

    /// <inheritdoc />
    public override int OutputSize => Width;

    /// <summary>The activation this layer computes.</summary>
    public abstract Activation Function { get; }

    /// <summary>
    /// f(x) in float64: the definition (torch's formula) that the float32 kernels are tested against and numerical
    /// gradient checks differentiate; finite for every finite input.
    /// </summary>
    /// <param name="x">Input.</param>
    public abstract double Reference(double x);

    /// <summary>f′(x) in float64, with torch's value at the kinks (relu′(0) = 0, leaky_relu′(0) = slope, elu′(0) = α).</summary>
    /// <param name="x">Input.</param>
    public abstract double ReferenceDerivative(double x);

    /// <summary>
    /// What <see cref="WeightInit.Auto"/> draws for the affine layer before this activation: He normal for the ReLU family,
    /// Xavier uniform for the saturating ones and the identity, LeCun normal for SELU.
    /// </summary>
    internal abstract WeightInit AutoInit { get; }

    /// <summary>
    /// The gain of torch.nn.init.calculate_gain (√2 for ReLU; ReLU's √2 too for the smooth ReLU-like functions torch
    /// has no gain for), which every scheme but LeCun multiplies into the weights' spread.
    /// </summary>
    internal abstract double InitGain { get; }

    /// <summary>
    /// The largest |f(x)| for |x| ≤ <paramref name="inputBound"/>, used to prove a network cannot overflow
    /// (<see cref="InferenceNetwork"/>).
    /// </summary>
    /// <param name="inputBound">The largest input magnitude (≥ 0).</param>
    internal abstract double OutputBound(double inputBound);

    /// <summary>
    /// Adds ONNX (opset 12) nodes computing this activation of <paramref name="x"/> — the same formula as
    /// <see cref="Reference"/>: a built-in operator where ONNX has one, else composed — and returns the output's name.
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="x">The input's name.</param>
    internal abstract string ExportOnnx(IOnnxGraph graph, string x);

    /// <inheritdoc />
    public override Matrix Forward(Matrix input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Columns != Width) throw new ArgumentException($"Expected {Width} columns, got {input.Columns}.", nameof(input));
        _input = input;
        var output = Matrix.Ensure(ref _output, input.Rows, Width);
        Apply(input.Span, output.Span);
        return output;
    }

    /// <inheritdoc />
    public override Matrix? Backward(Matrix outputGradient, bool needInputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (_input is null || _output is null) throw new InvalidOperationException("Backward called before Forward.");
        if (outputGradient.Columns != Width || outputGradient.Rows != _output.Rows)
            throw new ArgumentException($"Expected a {_output.Rows}×{Width} gradient, got {outputGradient.Rows}×{outputGradient.Columns}.", nameof(outputGradient));
        if (!needInputGradient) return null;
        var inputGradient = Matrix.Ensure(ref _inputGradient, outputGradient.Rows, Width);
        Derivative(_input.Span, _output.Span, outputGradient.Span, inputGradient.Span);
        return inputGradient;
    }

    /// <summary>Computes y = f(x) element-wise.</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs (never aliases <paramref name="x"/>).</param>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>Computes dx = dy·f'(x) element-wise.</summary>
    /// <param name="x">The inputs of the last Forward.</param>
    /// <param name="y">The outputs of the last Forward.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">dL/dx, written.</param>
    protected abstract void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>
    /// Whether scoring applies this activation inside the product (<see cref="FusedActivation.Relu"/>,
    /// <see cref="FusedActivation.LeakyRelu"/>), and then never calls <see cref="ScoreInPlace"/>; the identity says
    /// <see cref="FusedActivation.None"/> and <see cref="ScoresItself"/> false.
    /// </summary>
    internal virtual FusedActivation Fused => FusedActivation.None;

    /// <summary>The negative slope a fused <see cref="FusedActivation.LeakyRelu"/> applies (unused by the others).</summary>
    internal virtual float FusedSlope => 0f;

    /// <summary>Whether scoring must call <see cref="ScoreInPlace"/> after the product (false when fused, or the identity).</summary>
    internal virtual bool ScoresItself => Fused == FusedActivation.None;

    /// <summary>
    /// The scoring path's forward, in place (the element-wise kernels allow x and y to alias): the training forward,
    /// unless a subclass must keep the served scores of models saved by earlier releases.
    /// </summary>
    /// <param name="values">Pre-activations in, activations out.</param>
    internal virtual void ScoreInPlace(Span<float> values) => Apply(values, values);

    /// <inheritdoc />
    internal override void CompileForInference(InferenceBuilder builder) => builder.Activate(this);
}
