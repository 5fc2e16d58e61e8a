namespace MLNetBackprop.Bench.Arena;

/// <summary>What a data set asks for, from its label column: decides the label type, the trainers and the metric.</summary>
public enum ArenaTask
{
    /// <summary>Two classes; label read as Boolean; metric AUC.</summary>
    Binary,

    /// <summary>K classes 0..K-1; label mapped to a key (MapValueToKey, fitted on the training part); metric micro accuracy.</summary>
    Multiclass,

    /// <summary>A number; label read as Single; metric R².</summary>
    Regression,
}

public static class ArenaTaskNames
{
    public static string Name(this ArenaTask task) => task switch
    {
        ArenaTask.Binary => "binary",
        ArenaTask.Multiclass => "multiclass",
        _ => "regression",
    };

    public static string MetricName(this ArenaTask task) => task switch
    {
        ArenaTask.Binary => "AUC",
        ArenaTask.Multiclass => "micro accuracy",
        _ => "R²",
    };
}
