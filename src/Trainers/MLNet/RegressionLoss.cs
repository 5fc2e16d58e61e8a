namespace MLNetBackprop;

/// <summary>The loss of the regression MLP (<see cref="MlpRegressionTrainer.Options.Loss"/>), on the standardised label.</summary>
public enum RegressionLoss
{
    /// <summary>Mean squared error (the default).</summary>
    MeanSquaredError,
    /// <summary>Huber loss with δ = <see cref="MlpRegressionTrainer.Options.HuberDelta"/>: quadratic within δ, linear beyond; less sensitive to outliers.</summary>
    Huber,
}
