namespace MLNetBackprop.Engine;

/// <summary>
/// A learnable scale per feature, y = x ∘ s (RealMLP's front scale): the network can stretch the features that
/// matter and shrink the noise before the first affine layer. s starts at 1. dS = Σ_rows x ∘ dY, dX = dY ∘ s.
/// At scoring time it folds into the next affine layer (row i of W times sᵢ).
/// </summary>
public sealed class ScaleLayer : Layer
{
    private Matrix? _input;
    private Matrix? _output;
    private Matrix? _inputGradient;

    /// <summary>Creates the layer with every scale 1.</summary>
    /// <param name="width">Number of features.</param>
    /// <param name="name">Prefix of the parameter name (<c>scale</c> gives <c>scale.weight</c>).</param>
    /// <param name="learningRateFactor">The scale's <see cref="Parameter.LearningRateFactor"/> (RealMLP uses 6).</param>
    public ScaleLayer(int width, string name, double learningRateFactor = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentNullException.ThrowIfNull(name);
        Width = width;
        // Not a weight matrix: L2 would pull the scales towards 0, i.e. switch features off.
        Scale = new Parameter(name + ".weight", width, isWeight: false, learningRateFactor);
        Array.Fill(Scale.Value, 1f);
        Parameters = [Scale];
    }

    /// <summary>Number of features (input and output width).</summary>
    public int Width { get; }

    /// <summary>s, one value per feature.</summary>
    public Parameter Scale { get; }

    /// <inheritdoc />
    public override int InputSize => Width;

    /// <inheritdoc />
    public override int OutputSize => Width;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public override Matrix Forward(Matrix input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Columns != Width) throw new ArgumentException($"Expected {Width} columns, got {input.Columns}.", nameof(input));
        _input = input;
        var output = Matrix.Ensure(ref _output, input.Rows, Width);
        Kernels.MultiplyRows(input.Data, Scale.Value, output.Data, input.Rows);
        return output;
    }

    /// <inheritdoc />
    public override Matrix? Backward(Matrix outputGradient, bool needInputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (_input is null) throw new InvalidOperationException("Backward called before Forward.");
        int rows = _input.Rows;
        if (outputGradient.Columns != Width || outputGradient.Rows != rows)
            throw new ArgumentException($"Expected a {rows}×{Width} gradient, got {outputGradient.Rows}×{outputGradient.Columns}.", nameof(outputGradient));
        // dS = Σ_rows x ∘ dY, summed from +0 in ascending row order.
        var ds = Scale.Gradient.AsSpan();
        ds.Clear();
        Kernels.MultiplyAddRows(_input.Data, outputGradient.Data, ds, rows);
        if (!needInputGradient) return null;
        var inputGradient = Matrix.Ensure(ref _inputGradient, rows, Width);
        Kernels.MultiplyRows(outputGradient.Data, Scale.Value, inputGradient.Data, rows);
        return inputGradient;
    }

    /// <inheritdoc />
    internal override void CompileForInference(InferenceBuilder builder) => builder.ScaleNextInputs(this);
}
