using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace MLNetBackprop.Engine;

/// <summary>
/// What defines a training run, recorded in its checkpoints so a resume can refuse to continue a different run: the
/// settings that shape every step (seed, batch size, the optimizer with all its hyper-parameters, L2, schedule,
/// clipping, shuffling, early stopping) and a fingerprint of the training rows (their count, and for rows in memory a
/// hash of every feature, target and weight — streamed rows are checked by their count). Epochs may change (to extend a
/// run), and so may progress, cancellation and checkpoint settings.
/// </summary>
/// <param name="Settings">(name, value) of each recorded setting, in a fixed order; names are the options' names.</param>
/// <param name="Rows">Training rows.</param>
/// <param name="DataHash">Hash of the rows' values (0 when the rows are streamed).</param>
internal sealed record RunIdentity(IReadOnlyList<(string Name, string Value)> Settings, long Rows, ulong DataHash)
{
    /// <summary>The identity of a run with <paramref name="settings"/> on <paramref name="train"/>.</summary>
    public static RunIdentity Of(TrainingSettings settings, ITrainingRows train)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(train);
        var ci = CultureInfo.InvariantCulture;
        var values = new List<(string, string)>
        {
            ("Seed", settings.Seed.ToString(ci)),
            ("BatchSize", settings.BatchSize.ToString(ci)),
            ("Optimizer", Describe(settings.Optimizer)),
            ("L2", settings.L2.ToString("R", ci)),
            ("Schedule", settings.Schedule.ToString() ?? ""),
            ("GradientClipNorm", settings.GradientClipNorm?.ToString("R", ci) ?? "none"),
            ("Shuffle", settings.Shuffle ? "true" : "false"),
            ("ShuffleBlockRows", settings.ShuffleBlockRows?.ToString(ci) ?? "none"),
            ("EarlyStopping", settings.EarlyStopping?.ToString() ?? "none"),
        };
        return new RunIdentity(values, train.Rows, train is IFingerprinted f ? f.Fingerprint() : 0);
    }

    /// <summary>The optimizer's rule and every public hyper-parameter, e.g. <c>AdamOptimizer(AmsGrad=False; Beta1=0.9; …)</c>.</summary>
    private static string Describe(Optimizer optimizer)
    {
        var properties = optimizer.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={Convert.ToString(p.GetValue(optimizer), CultureInfo.InvariantCulture)}");
        return $"{optimizer.GetType().Name}({string.Join("; ", properties)})";
    }

    /// <summary>
    /// Null when <paramref name="now"/> continues this run; else a sentence naming the first difference (the setting,
    /// or "the training data").
    /// </summary>
    public string? FirstDifference(RunIdentity now)
    {
        ArgumentNullException.ThrowIfNull(now);
        foreach (var (name, value) in Settings)
        {
            var other = now.Settings.FirstOrDefault(s => s.Name == name);
            if (other.Name is null) continue;
            if (other.Value != value)
                return $"{name} differs from the checkpointed run's: it was {value}, it is now {other.Value}.";
        }
        if (now.Rows != Rows)
            return $"The training data differs from the checkpointed run's: it had {Rows} rows, it has {now.Rows}.";
        if (DataHash != 0 && now.DataHash != 0 && now.DataHash != DataHash)
            return $"The training data differs from the checkpointed run's: the same {Rows} rows hold other values (or the same values in another order).";
        return null;
    }
}

/// <summary>Rows that can hash their values cheaply (they are in memory).</summary>
internal interface IFingerprinted
{
    /// <summary>A 64-bit hash of every feature, target and weight, in row order.</summary>
    ulong Fingerprint();
}

/// <summary>FNV-1a over 64-bit words: fast, and any changed value or order changes it (with overwhelming probability).</summary>
internal struct Fnv64
{
    private ulong _hash = 14695981039346656037UL;

    public Fnv64()
    {
    }

    public void Add(ReadOnlySpan<float> values)
    {
        var bytes = MemoryMarshal.AsBytes(values);
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong w in words) _hash = (_hash ^ w) * 1099511628211UL;
        for (int i = words.Length * 8; i < bytes.Length; i++) _hash = (_hash ^ bytes[i]) * 1099511628211UL;
    }

    public readonly ulong Value => _hash == 0 ? 1 : _hash;
}
