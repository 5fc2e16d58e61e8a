namespace MLNetBackprop;

/// <summary>The three tasks the MLP trainers solve; decides how labels are read and which loss is used.</summary>
internal enum TaskKind
{
    Multiclass = 1,
    Binary = 2,
    Regression = 3,
}
