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
/// <para>
/// With a <see cref="WeightFactor"/> c ≠ 1 the layer computes Y = c·(X·W) + b: the neural-tangent parametrisation
/// (c = 1/√fan_in, W drawn N(0, 1)), in which the same learning rate suits every width. Then dW = c·Xᵀ·dY and
/// dX = c·dY·Wᵀ, while db = Σ dY.
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
    /// <param name="weightFactor">c in Y = c·(X·W) + b (default 1; finite, &gt; 0).</param>
    /// <param name="biasLearningRateFactor">The bias's <see cref="Parameter.LearningRateFactor"/> (default 1).</param>
    public Dense(int inputSize, int outputSize, string name, float weightFactor = 1f, double biasLearningRateFactor = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        ArgumentNullException.ThrowIfNull(name);
        if (!(weightFactor > 0 && float.IsFinite(weightFactor))) throw new ArgumentOutOfRangeException(nameof(weightFactor), weightFactor, "The weight factor must be a finite number > 0.");
        InputSize = inputSize;
        OutputSize = outputSize;
        Name = name;
        WeightFactor = weightFactor;
        Weight = new Parameter(name + ".weight", checked(inputSize * outputSize), isWeight: true, penaltyScale: (double)weightFactor * weightFactor);
        Bias = new Parameter(name + ".bias", outputSize, isWeight: false, biasLearningRateFactor);
        Parameters = [Weight, Bias];
    }

    /// <summary>c in Y = c·(X·W) + b: 1 in the standard parametrisation, 1/√InputSize in the neural-tangent one.</summary>
    public float WeightFactor { get; }

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
        if (WeightFactor == 1f) Kernels.AddToRows(output.Data, Bias.Value, rows);
        else Kernels.ScaleAndAddToRows(output.Data, WeightFactor, Bias.Value, rows);
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

        // db = column sums of dY (overwrites).
        Kernels.SumRows(outputGradient.Data, rows, Bias.Gradient);

        // Both products take c·dY: scale dY once, in place (a layer may overwrite its output gradient).
        if (WeightFactor != 1f) Kernels.Scale(outputGradient.Data.AsSpan(0, rows * OutputSize), WeightFactor);

        // dW = Xᵀ·(c·dY) (overwrites).
        Kernels.MatMulTransposeA(_input.Data, outputGradient.Data, Weight.Gradient, InputSize, rows, OutputSize);

        if (!needInputGradient) return null;
        // dX = (c·dY)·Wᵀ.
        var inputGradient = Matrix.Ensure(ref _inputGradient, rows, InputSize);
        Kernels.MatMulTransposeB(outputGradient.Data, Weight.Value, inputGradient.Data, rows, OutputSize, InputSize);
        return inputGradient;
    }

    /// <inheritdoc />
    internal override void CompileForInference(InferenceBuilder builder) => builder.OpenBlock(this);
}
