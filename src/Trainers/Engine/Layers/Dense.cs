namespace MLNetBackprop.Engine;

/// <summary>
/// A fully connected (affine) layer Y = X·W + b.
/// <para>
/// Orientation: W is stored <b>[in × out] row-major</b>, the transpose of torch's <c>nn.Linear.weight</c>
/// ([out × in]). With it the forward pass is a plain <see cref="Kernels.MatMul"/>, dW = Xᵀ·dY is
/// <see cref="Kernels.MatMulTransposeA"/> and dX = dY·Wᵀ is <see cref="Kernels.MatMulTransposeB"/>:
/// no product ever needs a transposed copy. Element (i, j) of W, at index i·OutputSize + j, links
/// input i to output j.
/// </para>
/// Weights start at 0; <see cref="WeightInitializer"/> fills them.
/// </summary>
public sealed class Dense : Layer
{
    private Matrix? _input;
    private Matrix? _output;
    private Matrix? _inputGradient;

    /// <summary>Creates the layer with zero weights and biases.</summary>
    /// <param name="inputSize">Width of the input rows (fan-in).</param>
    /// <param name="outputSize">Number of units (fan-out).</param>
    /// <param name="name">Prefix of the parameter names, e.g. <c>dense1</c> gives <c>dense1.weight</c> and <c>dense1.bias</c>.</param>
    public Dense(int inputSize, int outputSize, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        ArgumentNullException.ThrowIfNull(name);
        InputSize = inputSize;
        OutputSize = outputSize;
        Name = name;
        Weight = new Parameter(name + ".weight", checked(inputSize * outputSize), isWeight: true);
        Bias = new Parameter(name + ".bias", outputSize, isWeight: false);
        Parameters = [Weight, Bias];
    }

    /// <inheritdoc />
    public override int InputSize { get; }

    /// <inheritdoc />
    public override int OutputSize { get; }

    /// <summary>The prefix of the parameter names.</summary>
    public string Name { get; }

    /// <summary>W, [InputSize × OutputSize] row-major (the transpose of torch's layout).</summary>
    public Parameter Weight { get; }

    /// <summary>b, one value per output unit.</summary>
    public Parameter Bias { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public override Matrix Forward(Matrix input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Columns != InputSize) throw new ArgumentException($"Expected {InputSize} columns, got {input.Columns}.", nameof(input));
        _input = input;
        int rows = input.Rows;
        var output = Matrix.Ensure(ref _output, rows, OutputSize);
        Kernels.MatMul(input.Data, Weight.Value, output.Data, rows, InputSize, OutputSize);
        Kernels.AddToRows(output.Data, Bias.Value, rows);
        return output;
    }

    /// <inheritdoc />
    public override Matrix? Backward(Matrix outputGradient, bool needInputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (_input is null) throw new InvalidOperationException("Backward called before Forward.");
        int rows = _input.Rows;
        if (outputGradient.Columns != OutputSize || outputGradient.Rows != rows)
            throw new ArgumentException($"Expected a {rows}×{OutputSize} gradient, got {outputGradient.Rows}×{outputGradient.Columns}.", nameof(outputGradient));

        // dW = Xᵀ·dY (overwrites).
        Kernels.MatMulTransposeA(_input.Data, outputGradient.Data, Weight.Gradient, InputSize, rows, OutputSize);

        // db = column sums of dY (overwrites).
        Kernels.SumRows(outputGradient.Data, rows, Bias.Gradient);

        if (!needInputGradient) return null;
        // dX = dY·Wᵀ.
        var inputGradient = Matrix.Ensure(ref _inputGradient, rows, InputSize);
        Kernels.MatMulTransposeB(outputGradient.Data, Weight.Value, inputGradient.Data, rows, OutputSize, InputSize);
        return inputGradient;
    }
}
