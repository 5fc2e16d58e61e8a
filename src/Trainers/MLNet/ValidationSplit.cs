using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// Which training rows each network holds out for validation (in memory). A single network holds out
/// <see cref="MlpOptionsBase.ValidationFraction"/> of the rows (<see cref="Holdout"/>); the members of an ensemble hold out
/// the folds of a round(1/fraction)-fold split in turn (<see cref="Fold"/>), so together they train on every row and
/// each is validated on rows it never saw. Both are seeded shuffles, stratified by class for classification, and keep
/// the shuffled order within each part.
/// </summary>
internal static class ValidationSplit
{
    /// <summary>Seeded shuffle, then the validation fraction taken per class (stratified) or overall.</summary>
    public static (int[] Train, int[] Validation) Holdout(float[] targets, int rows, float fraction, bool stratified, long seed)
    {
        if (fraction <= 0) return (Enumerable.Range(0, rows).ToArray(), []);
        var order = Shuffled(rows, seed, round: 0);
        var val = new List<int>();
        var tr = new List<int>();
        if (stratified)
        {
            foreach (var group in order.GroupBy(r => targets[r]))
            {
                var members = group.ToArray();
                int take = (int)Math.Round(members.Length * fraction);
                if (members.Length >= 2) take = Math.Clamp(take, 1, members.Length - 1);
                else take = 0;
                val.AddRange(members.Take(take));
                tr.AddRange(members.Skip(take));
            }
            return InShuffledOrder(order, tr, val);
        }
        // A single row always trains (as a class with a single row does, here and in Fold): holding it out would leave
        // nothing to train on.
        if (rows < 2) return (Enumerable.Range(0, rows).ToArray(), []);
        int n = Math.Clamp((int)Math.Round(rows * fraction), 1, rows - 1);
        val.AddRange(order.Take(n));
        tr.AddRange(order.Skip(n));
        if (tr.Count == 0) throw new InvalidOperationException("ValidationFraction leaves no training rows.");
        return ([.. tr], [.. val]);
    }

    /// <summary>The number of folds an ensemble's members take turns holding out: round(1/fraction), at least 2.</summary>
    public static int FoldCount(float fraction) => Math.Max(2, (int)Math.Round(1 / fraction));

    /// <summary>
    /// Member <paramref name="member"/>'s split: fold (member mod F) of a seeded F-fold split (a fresh shuffle for every F
    /// members), each class's shuffled rows cut into F near-equal chunks (stratified), or all rows' (not stratified).
    /// A class with a single row always trains.
    /// </summary>
    public static (int[] Train, int[] Validation) Fold(float[] targets, int rows, float fraction, bool stratified, long seed, int member)
    {
        int folds = FoldCount(fraction), fold = member % folds;
        var order = Shuffled(rows, seed, round: member / folds);
        var val = new List<int>();
        var tr = new List<int>();
        IEnumerable<int[]> groups = stratified ? order.GroupBy(r => targets[r]).Select(g => g.ToArray()) : [order];
        foreach (var group in groups)
        {
            int n = group.Length;
            int lo = n < 2 ? 0 : (int)((long)fold * n / folds), hi = n < 2 ? 0 : (int)((long)(fold + 1) * n / folds);
            for (int i = 0; i < n; i++) (i >= lo && i < hi ? val : tr).Add(group[i]);
        }
        if (tr.Count == 0) throw new InvalidOperationException("ValidationFraction leaves no training rows.");
        return InShuffledOrder(order, tr, val);
    }

    private static int[] Shuffled(int rows, long seed, int round)
    {
        var order = Enumerable.Range(0, rows).ToArray();
        var rng = round == 0 ? new CounterRandom(seed, (long)RandomPurpose.Split) : new CounterRandom(seed, (long)RandomPurpose.Split, round);
        rng.Shuffle(order);
        return order;
    }

    private static (int[] Train, int[] Validation) InShuffledOrder(int[] order, List<int> tr, List<int> val)
    {
        var position = new int[order.Length];
        for (int i = 0; i < order.Length; i++) position[order[i]] = i;
        tr.Sort((a, b) => position[a].CompareTo(position[b]));
        val.Sort((a, b) => position[a].CompareTo(position[b]));
        return ([.. tr], [.. val]);
    }
}
