namespace MLNetBackprop;

/// <summary>
/// What a trainer hands the shared core: its task, outputs, loss and loss options, and class weighting — so the core
/// never branches on which trainer called it for these.
/// </summary>
/// <param name="Task">The task (how labels are read, which metrics apply).</param>
/// <param name="OutputSize">Network outputs: the classes for multiclass, 1 otherwise.</param>
/// <param name="Loss">The training loss.</param>
/// <param name="LabelSmoothing">ε of the label smoothing (classification; 0 for none).</param>
/// <param name="HuberDelta">δ of the Huber loss (regression with Huber).</param>
/// <param name="ClassWeights">Explicit class weights (with <see cref="ClassWeighting.Explicit"/>).</param>
/// <param name="Weighting">How classes are weighted.</param>
internal sealed record TaskPlan(TaskKind Task, int OutputSize, LossKind Loss, float LabelSmoothing = 0, float HuberDelta = 1,
    float[]? ClassWeights = null, ClassWeighting Weighting = ClassWeighting.None)
{
    /// <summary>Classification: the label is a class index (2 classes for binary).</summary>
    public bool IsClassification => Task != TaskKind.Regression;

    /// <summary>The number of classes (2 for a binary task's single output; 0 for regression).</summary>
    public int Classes => Task switch { TaskKind.Regression => 0, TaskKind.Binary => 2, _ => Math.Max(OutputSize, 2) };
}
