using MLNetBackprop.Engine;

namespace MLNetBackprop;

/// <summary>
/// A validation split of streamed rows by a seeded hash of the storage row index: row r is a validation row when
/// u(seed, r) ∈ [<paramref name="Low"/>, <paramref name="High"/>), u uniform in [0, 1). A single network holds out
/// [0, fraction) (<see cref="Holdout"/>); member m of an ensemble holds out fold m mod F, [j/F, (j + 1)/F), with a
/// fresh hash for every F members (<see cref="Fold"/>).
/// </summary>
/// <param name="Seed">Seed of the hash.</param>
/// <param name="Low">Lower end of the validation interval.</param>
/// <param name="High">Upper end (exclusive).</param>
/// <param name="Validation">Which part a reader keeps: the validation rows or the training rows.</param>
internal sealed record HashSplit(long Seed, double Low, double High, bool Validation)
{
    /// <summary>A single network's split: about <paramref name="fraction"/> of the rows for validation.</summary>
    public static HashSplit Holdout(long seed, float fraction, bool validation) => new(seed, 0, fraction, validation);

    /// <summary>Member <paramref name="member"/>'s fold of an F-fold hash split.</summary>
    public static HashSplit Fold(long seed, int folds, int member, bool validation)
    {
        int fold = member % folds, round = member / folds;
        long roundSeed = round == 0 ? seed : (long)new CounterRandom(seed, (long)RandomPurpose.Split, -round).NextUInt64();
        return new(roundSeed, (double)fold / folds, (double)(fold + 1) / folds, validation);
    }

    /// <summary>Whether storage row <paramref name="row"/> falls in the validation interval.</summary>
    public bool IsValidationRow(long row)
    {
        double u = new CounterRandom(Seed, (long)RandomPurpose.Split, row).NextDouble();
        return u >= Low && u < High;
    }
}
