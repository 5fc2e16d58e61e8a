namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// A seeded 75/25 split of a set's rows. The row indices are shuffled with <c>new Random(seed)</c>
/// (Fisher–Yates); for regression the first quarter (rounded) of the shuffled order is the test part; for
/// classification each class contributes round(n_c / 4) rows (the first of that class in shuffled order) to the
/// test part and the rest to training — with a guard: a class with two or more rows keeps at least one row
/// on each side, and a class with a single row goes to training only (noted in <see cref="Notes"/>).
/// Both parts stay in shuffled order, so trainers that do not shuffle never see rows sorted by class.
/// </summary>
public sealed record SeededSplit(int Seed, int[] Train, int[] Test, IReadOnlyList<string> Notes)
{
    public const double TestFraction = 0.25;

    public static SeededSplit Make(TabularSet set, int seed)
    {
        int n = set.Rows;
        var order = Enumerable.Range(0, n).ToArray();
        var rng = new Random(seed);
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var notes = new List<string>();
        var train = new List<int>(n);
        var test = new List<int>(n / 3);
        if (set.Classes is not int[] classes)
        {
            int nTest = (int)Math.Round(n * TestFraction, MidpointRounding.AwayFromZero);
            return new SeededSplit(seed, order[nTest..], order[..nTest], notes);
        }

        int k = set.ClassCount;
        var perClass = new int[k];
        foreach (int c in classes) perClass[c]++;
        var testQuota = new int[k];
        for (int c = 0; c < k; c++)
        {
            int nc = perClass[c];
            if (nc == 0) { notes.Add($"class {c} has no rows"); continue; }
            if (nc == 1) { notes.Add($"class {c} has a single row: training part only"); continue; }
            testQuota[c] = Math.Clamp((int)Math.Round(nc * TestFraction, MidpointRounding.AwayFromZero), 1, nc - 1);
        }
        foreach (int row in order)
        {
            int c = classes[row];
            if (testQuota[c] > 0) { testQuota[c]--; test.Add(row); }
            else train.Add(row);
        }
        return new SeededSplit(seed, train.ToArray(), test.ToArray(), notes);
    }
}
