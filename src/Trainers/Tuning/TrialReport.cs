using System.Globalization;

namespace MLNetBackprop;

/// <summary>What <see cref="SearchSettings.Progress"/> receives after each trial run.</summary>
public sealed record TrialReport
{
    /// <summary>The trial (leaderboard row) so far.</summary>
    public required TrialResult Trial { get; init; }

    /// <summary>Round number, from 1.</summary>
    public required int Round { get; init; }

    /// <summary>Total rounds of the search.</summary>
    public required int Rounds { get; init; }

    /// <summary>Position of this run within the round, from 1.</summary>
    public required int IndexInRound { get; init; }

    /// <summary>Trials in this round.</summary>
    public required int TrialsInRound { get; init; }

    /// <summary>Epoch budget of this round.</summary>
    public required int Epochs { get; init; }

    /// <summary>This run's validation metric (NaN if it diverged).</summary>
    public required double Metric { get; init; }

    /// <summary>The best metric of this round so far.</summary>
    public required double BestInRound { get; init; }

    /// <summary>Time since the search started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round}/{Rounds} ({Epochs} epochs) trial {IndexInRound,2}/{TrialsInRound} #{Trial.Id,-3} {Trial.Summary} → {(double.IsNaN(Metric) ? "diverged" : Metric.ToString("F4", CultureInfo.InvariantCulture))}  (best {BestInRound:F4}, {Elapsed.TotalSeconds:F1}s)");
}
