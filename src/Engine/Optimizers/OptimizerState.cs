namespace MLNetBackprop.Engine;

/// <summary>
/// The state of one training run of an <see cref="Optimizer"/>: the step count and each
/// parameter's slots. <see cref="Step"/> applies one update to every parameter from its gradient.
/// </summary>
public sealed class OptimizerState
{
    private readonly IReadOnlyList<Parameter> _parameters;

    internal OptimizerState(Optimizer optimizer, IReadOnlyList<Parameter> parameters)
    {
        Optimizer = optimizer;
        _parameters = parameters;
        Slots = new OptimizerSlots[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            Slots[i] = new OptimizerSlots(optimizer.SlotCount, parameters[i].Length);
            optimizer.InitializeSlots(Slots[i]);
        }
    }

    /// <summary>The rule being applied.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Number of steps taken so far.</summary>
    public long StepCount { get; set; }

    /// <summary>Per-parameter state, in the order of the parameters given at creation.</summary>
    public OptimizerSlots[] Slots { get; }

    /// <summary>Updates every parameter once from its current gradient, at the step's rate times the parameter's <see cref="Parameter.LearningRateFactor"/>.</summary>
    /// <param name="learningRate">The learning rate of this step; null = the optimizer's base rate.</param>
    public void Step(double? learningRate = null)
    {
        StepCount++;
        double lr = learningRate ?? Optimizer.LearningRate;
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            Optimizer.Update(p.Value, p.Gradient, Slots[i], lr * p.LearningRateFactor, StepCount);
        }
    }
}
