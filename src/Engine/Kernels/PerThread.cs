namespace MLNetBackprop.Engine;

/// <summary>
/// One reusable instance of <typeparamref name="T"/> per thread: the state a kernel hands the <see cref="WorkerPool"/>
/// (no allocation per call). <see cref="Rent"/> takes it out, so a nested call on the same thread while it is out gets
/// a new one; <see cref="Return"/> puts it back (drop what it references first).
/// </summary>
/// <typeparam name="T">The kernel's work type.</typeparam>
internal static class PerThread<T> where T : class, new()
{
    [ThreadStatic] private static T? t_cached;

    /// <summary>This thread's instance (or a new one when it is out).</summary>
    public static T Rent()
    {
        var value = t_cached ?? new T();
        t_cached = null;
        return value;
    }

    /// <summary>Gives the instance back to this thread.</summary>
    /// <param name="value">The instance <see cref="Rent"/> returned.</param>
    public static void Return(T value) => t_cached = value;
}
