namespace MLNetBackprop.Engine;

/// <summary>
/// A counter-based random stream: its state is a pure function of a key (seed, purpose, epoch,
/// batch, …), so any batch's randomness (shuffle, dropout mask) can be recreated without replaying
/// the ones before it — which is what makes resuming from a checkpoint exact. The generator is
/// SplitMix64 started from a hash of the key.
/// </summary>
public struct CounterRandom
{
    private ulong _state;
    private double _spareGaussian;
    private bool _hasSpare;

    /// <summary>Starts the stream identified by <paramref name="key"/>.</summary>
    /// <param name="key">Seed first, then any counters (purpose, epoch, batch, layer…).</param>
    public CounterRandom(params ReadOnlySpan<long> key)
    {
        ulong h = 0x243F6A8885A308D3UL;
        foreach (long k in key) h = Mix(h ^ Mix((ulong)k + 0x9E3779B97F4A7C15UL));
        _state = h;
        _spareGaussian = 0;
        _hasSpare = false;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias.</summary>
    /// <param name="maxExclusive">Upper bound (exclusive), &gt; 0.</param>
    public int NextInt(int maxExclusive)
    {
        // Lemire's multiply-shift with rejection.
        ulong range = (ulong)maxExclusive;
        ulong x = NextUInt64() >> 32;
        ulong m = x * range;
        if ((uint)m < range)
        {
            ulong t = (0x1_0000_0000UL - range) % range;
            while ((uint)m < t) { x = NextUInt64() >> 32; m = x * range; }
        }
        return (int)(m >> 32);
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public double NextGaussian()
    {
        if (_hasSpare) { _hasSpare = false; return _spareGaussian; }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareGaussian = r * Math.Sin(2 * Math.PI * u2);
        _hasSpare = true;
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    /// <param name="items">The values to permute.</param>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>The purposes a random stream is used for; each gets its own key so streams never overlap.</summary>
public enum RandomPurpose : long
{
    /// <summary>Initial weights.</summary>
    Initialization = 1,
    /// <summary>The order of rows in an epoch.</summary>
    Shuffle = 2,
    /// <summary>Dropout masks.</summary>
    Dropout = 3,
    /// <summary>Validation split.</summary>
    Split = 4,
    /// <summary>Hyper-parameter search.</summary>
    Search = 5,
    /// <summary>The seeds of an ensemble's members.</summary>
    Ensemble = 6,
}
