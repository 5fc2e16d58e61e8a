namespace MLNetBackprop;

/// <summary>What a hyper-parameter search ranks trials by, always measured on the validation data.</summary>
public enum SearchMetric
{
    /// <summary>The trainer's own validation loss at the kept epoch (lower is better). The default; every task.</summary>
    ValidationLoss,
    /// <summary>Accuracy (micro accuracy for multiclass) from ML.NET's evaluator (higher is better). Classification.</summary>
    Accuracy,
    /// <summary>Area under the ROC curve from ML.NET's binary evaluator (higher is better). Binary classification.</summary>
    Auc,
    /// <summary>R² from ML.NET's regression evaluator (higher is better). Regression.</summary>
    RSquared,
}
