namespace MLNetBackprop;

/// <summary>Training produced a NaN or infinite loss: the learning rate is usually too high.</summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception for the epoch where the loss diverged.</summary>
    /// <param name="epoch">Epoch number, from 1.</param>
    /// <param name="loss">The non-finite loss.</param>
    public TrainingDivergedException(int epoch, double loss)
        : base($"Training diverged in epoch {epoch}: the loss became {loss}. Try a lower learning rate (or gradient clipping, or early stopping with validation data to keep the best weights so far).")
    {
        Epoch = epoch;
        Loss = loss;
    }

    /// <summary>Creates the exception for a divergence whose cause is known (<paramref name="cause"/> replaces the learning-rate advice).</summary>
    /// <param name="epoch">Epoch number, from 1.</param>
    /// <param name="loss">The non-finite loss.</param>
    /// <param name="cause">What made the loss non-finite and what to do, as a sentence without the leading capital.</param>
    public TrainingDivergedException(int epoch, double loss, string cause)
        : base($"Training diverged in epoch {epoch}: the loss became {loss} because {cause}")
    {
        Epoch = epoch;
        Loss = loss;
    }

    /// <summary>The epoch (from 1) in which the loss diverged.</summary>
    public int Epoch { get; }

    /// <summary>The non-finite loss.</summary>
    public double Loss { get; }
}
