namespace MLNetBackprop.Engine;

/// <summary>
/// A multi-layer perceptron: a stack of <see cref="Layer"/>s built from a <see cref="NetworkSpec"/>
/// ([PeriodicEmbedding] → [Scale] → (Dense → [BatchNorm] → activation → [Dropout]) repeated → Dense) and a <see cref="Loss"/>.
/// <see cref="ComputeGradients"/> is one forward pass, the loss and one backward pass; the parameters'
/// gradients are then ready for an optimizer step.
/// </summary>
public sealed class Network
{
    private readonly List<Layer> _layers = [];
    private readonly List<Dense> _dense = [];
    private readonly List<Parameter> _parameters = [];
    private readonly List<DropoutLayer> _dropouts = [];
    private readonly bool _initialize;
    private Matrix? _lossGradient;

    /// <summary>Builds the network and initialises its weights from <paramref name="seed"/>.</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Network(NetworkSpec spec, long seed)
        : this(spec, seed, initialize: true)
    {
    }

    /// <summary>
    /// A network whose values are all zero, to be overwritten at once (<see cref="LoadState"/>, or a model file read
    /// straight into <see cref="StateBuffers"/>): skips drawing initial weights, which for a large network costs seconds.
    /// </summary>
    internal static Network ForLoading(NetworkSpec spec) => new(spec, 0, initialize: false);

    private Network(NetworkSpec spec, long seed, bool initialize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        _initialize = initialize;
        var rng = new CounterRandom(seed, (long)RandomPurpose.Initialization);
        int width = spec.InputSize;
        if (spec.EmbeddedFeatures.Length > 0)
        {
            var embedding = new PeriodicEmbeddingLayer(width, spec.EmbeddedFeatures, spec.EmbeddingFrequencies, spec.EmbeddingOutputs, "embedding");
            if (initialize) embedding.Initialize(ref rng);
            Add(embedding);
            width = embedding.OutputSize;
        }
        if (spec.InputScaling) Add(new ScaleLayer(width, "scale", NetworkSpec.ScaleLearningRateFactor));
        for (int h = 0; h < spec.HiddenLayers.Length; h++)
        {
            int units = spec.HiddenLayers[h];
            AddDense(width, units, spec.Activation, ref rng);
            if (spec.BatchNorm) Add(new BatchNormLayer(units, $"bn{h + 1}"));
            Add(ActivationLayers.Create(spec.Activation, units, spec.LeakyReluSlope));
            if (spec.Dropout > 0)
            {
                var dropout = new DropoutLayer(units, spec.Dropout, _dropouts.Count);
                _dropouts.Add(dropout);
                Add(dropout);
            }
            width = units;
        }
        // The output layer feeds a loss, not an activation: Xavier (gain 1) suits its linear output.
        AddDense(width, spec.OutputSize, Activation.Identity, ref rng, isOutput: true);
        Loss = CreateLoss(spec);
    }

    /// <summary>The architecture this network was built from.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The affine layers, input first (their weight-gradient norms are <see cref="GradientNorms"/>).</summary>
    public IReadOnlyList<Dense> DenseLayers => _dense;

    /// <summary>Every trainable parameter, in a fixed order (layer by layer).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The loss on the outputs.</summary>
    public Loss Loss { get; }

    /// <summary>Number of input features.</summary>
    public int InputSize => Spec.InputSize;

    /// <summary>Number of outputs.</summary>
    public int OutputSize => Spec.OutputSize;

    /// <summary>
    /// The L2 norm of each affine layer's weight gradient after the last <see cref="ComputeGradients"/>
    /// (input layer first): the numbers that make vanishing gradients visible.
    /// </summary>
    public double[] GradientNorms => _gradientNorms ??= new double[_dense.Count];

    private double[]? _gradientNorms;

    /// <summary>Sets the key of the dropout masks of the next training forward pass.</summary>
    /// <param name="seed">Training seed.</param>
    /// <param name="epoch">Epoch number.</param>
    /// <param name="batch">Batch number within the epoch.</param>
    public void SetDropoutKey(long seed, long epoch, long batch)
    {
        foreach (var d in _dropouts) d.SetRandomKey(seed, epoch, batch);
    }

    /// <summary>Runs the layers forward and returns the raw outputs (logits), a buffer owned by the network.</summary>
    /// <param name="input">rows × InputSize.</param>
    /// <param name="training">Training mode (batch statistics, dropout) or inference.</param>
    public Matrix Forward(Matrix input, bool training)
    {
        if (input.Columns != InputSize)
            throw new ArgumentException($"The input has {input.Columns} columns; the network expects {InputSize}.", nameof(input));
        var x = input;
        foreach (var layer in _layers) x = layer.Forward(x, training);
        return x;
    }

    /// <summary>
    /// Inference: outputs mapped by the loss's link (softmax probabilities, sigmoid, identity), in place in the returned
    /// buffer — the served link (float32 softmax, with the limit rule for logits that overflowed to ±∞), so these
    /// probabilities are the ones a saved model serves for the same logits.
    /// </summary>
    /// <param name="input">rows × InputSize.</param>
    public Matrix Predict(Matrix input)
    {
        var output = Forward(input, training: false);
        Loss.Predict(output);
        return output;
    }

    /// <summary>
    /// Forward in training mode, loss, and backward: fills every parameter's gradient and
    /// <see cref="GradientNorms"/>. With <paramref name="l2"/> &gt; 0 the penalty λ/2·Σ s·w² over weights (s their
    /// <see cref="Parameter.PenaltyScale"/>: 1, or c² for a neural-tangent layer's)
    /// (never biases or BatchNorm γ/β) is added to the loss and λ·w to their gradients.
    /// </summary>
    /// <param name="input">rows × InputSize.</param>
    /// <param name="targets">Class indices (one per row) or target values (rows × OutputSize), as the loss expects.</param>
    /// <param name="rowWeights">Per-row example weights, or empty.</param>
    /// <param name="l2">The L2 coefficient λ.</param>
    /// <returns>The batch loss, including the L2 penalty.</returns>
    public double ComputeGradients(Matrix input, ReadOnlySpan<float> targets, ReadOnlySpan<float> rowWeights, float l2 = 0f)
    {
        var output = Forward(input, training: true);
        var grad = Matrix.Ensure(ref _lossGradient, output.Rows, output.Columns);
        double loss = Loss.Compute(output, targets, rowWeights, grad);
        Matrix? g = grad;
        for (int i = _layers.Count - 1; i >= 0 && g is not null; i--)
            g = _layers[i].Backward(g, needInputGradient: i > 0);
        if (l2 > 0) loss += WeightPenalty.AddL2(_parameters, l2);
        var norms = GradientNorms;
        for (int i = 0; i < _dense.Count; i++) norms[i] = Kernels.Norm(_dense[i].Weight.Gradient);
        return loss;
    }

    /// <summary>
    /// Every buffer that defines what the network computes: parameter values, then BatchNorm running
    /// statistics. Copying these copies the model (best-epoch snapshots, checkpoints, serialisation).
    /// </summary>
    public IReadOnlyList<float[]> StateBuffers()
    {
        var buffers = new List<float[]>(_parameters.Count + 4);
        foreach (var p in _parameters) buffers.Add(p.Value);
        foreach (var layer in _layers) buffers.AddRange(layer.StateBuffers);
        return buffers;
    }

    /// <summary>Every layer's counters (BatchNorm's batches tracked), in layer order: what a checkpoint saves besides the state.</summary>
    internal long[] Counters()
    {
        var counters = new List<long>();
        foreach (var layer in _layers) counters.AddRange(layer.Counters);
        return [.. counters];
    }

    /// <summary>Restores the counters from values laid out as <see cref="Counters"/>.</summary>
    /// <param name="values">One value per counter.</param>
    internal void LoadCounters(ReadOnlySpan<long> values)
    {
        int at = 0;
        foreach (var layer in _layers)
        {
            var mine = layer.Counters;
            if (at + mine.Length > values.Length) throw new ArgumentException($"Expected {Counters().Length} counters; got {values.Length}.", nameof(values));
            values.Slice(at, mine.Length).CopyTo(mine);
            at += mine.Length;
        }
        if (at != values.Length) throw new ArgumentException($"Expected {at} counters; got {values.Length}.", nameof(values));
    }

    /// <summary>A deep copy: same architecture, same weights, running statistics and counters, fresh buffers.</summary>
    public Network Clone()
    {
        var copy = ForLoading(Spec);
        copy.LoadState(StateBuffers());
        copy.LoadCounters(Counters());
        return copy;
    }

    /// <summary>Overwrites the weights and running statistics from buffers laid out as <see cref="StateBuffers"/>.</summary>
    /// <param name="state">One buffer per state buffer, same lengths.</param>
    public void LoadState(IReadOnlyList<float[]> state)
    {
        var mine = StateBuffers();
        if (state.Count != mine.Count) throw new ArgumentException($"Expected {mine.Count} state buffers; got {state.Count}.", nameof(state));
        for (int i = 0; i < mine.Count; i++)
        {
            if (state[i].Length != mine[i].Length)
                throw new ArgumentException($"State buffer {i} has {state[i].Length} values; expected {mine[i].Length}.", nameof(state));
            state[i].CopyTo(mine[i], 0);
        }
    }

    /// <summary>The total number of trainable values.</summary>
    public long ParameterCount => _parameters.Sum(p => (long)p.Length);

    private void AddDense(int inputs, int outputs, Activation activation, ref CounterRandom rng, bool isOutput = false)
    {
        string name = $"dense{_dense.Count + 1}";
        Dense dense;
        if (Spec.Parametrization == Parametrization.NeuralTangent)
        {
            dense = new Dense(inputs, outputs, name, weightFactor: (float)(1 / Math.Sqrt(inputs)), NetworkSpec.NeuralTangentBiasLearningRateFactor);
            // The output layer starts at zero: the first predictions are the prior, not a random direction.
            if (!isOutput && _initialize) WeightInitializer.InitializeNeuralTangent(dense, ref rng);
        }
        else
        {
            dense = new Dense(inputs, outputs, name);
            var init = isOutput && Spec.WeightInit == WeightInit.Auto ? WeightInit.XavierUniform : Spec.WeightInit;
            if (_initialize) WeightInitializer.Initialize(dense.Weight, inputs, outputs, init, activation, Spec.LeakyReluSlope, ref rng);
        }
        _dense.Add(dense);
        Add(dense);
    }

    private void Add(Layer layer)
    {
        _layers.Add(layer);
        _parameters.AddRange(layer.Parameters);
    }

    private static Loss CreateLoss(NetworkSpec spec) => spec.Loss switch
    {
        LossKind.SoftmaxCrossEntropy => new SoftmaxCrossEntropyLoss(spec.ClassWeights, spec.LabelSmoothing),
        LossKind.SigmoidCrossEntropy => new SigmoidCrossEntropyLoss(labelSmoothing: spec.LabelSmoothing),
        LossKind.MeanSquaredError => new MeanSquaredErrorLoss(),
        LossKind.Huber => new HuberLoss(spec.HuberDelta),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Loss, "Unknown loss."),
    };
}
