namespace MLNetBackprop;

/// <summary>The training losses of the engine, each on the network's raw outputs.</summary>
public enum LossKind
{
    /// <summary>
    /// Softmax cross-entropy (torch.nn.CrossEntropyLoss) on logits, one class index per row; optional
    /// class weights and label smoothing. Predictions are softmax probabilities. For multiclass classification.
    /// </summary>
    SoftmaxCrossEntropy,

    /// <summary>
    /// Sigmoid cross-entropy (torch.nn.BCEWithLogitsLoss) on logits, one target in [0, 1] per output;
    /// optional positive-class weight per output. Predictions are sigmoid probabilities. For binary and
    /// multi-label classification.
    /// </summary>
    SigmoidCrossEntropy,

    /// <summary>Mean squared error (torch.nn.MSELoss) over all outputs. Predictions are the raw outputs. For regression.</summary>
    MeanSquaredError,

    /// <summary>
    /// Huber loss (torch.nn.HuberLoss): quadratic for residuals smaller than δ, linear beyond. Predictions
    /// are the raw outputs. For regression robust to outliers.
    /// </summary>
    Huber,
}
