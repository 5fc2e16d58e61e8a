using System.Collections.Concurrent;
using System.Reflection;

namespace MLNetBackprop;

/// <summary>
/// Copies trainer options: every public instance property with a public getter and setter, declared on
/// <see cref="MlpOptionsBase"/> or the task's options type. Arrays are copied; everything else the options
/// hold (optimizers, schedules, early-stopping records) is immutable and shared.
/// </summary>
internal static class MlpOptionsCloner
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    public static T Clone<T>(T source) where T : MlpOptionsBase
    {
        ArgumentNullException.ThrowIfNull(source);
        var type = source.GetType();
        // Constructed from the source's preset, so the copy says where it started from too.
        var copy = (T)(Activator.CreateInstance(type, source.Preset)
            ?? throw new InvalidOperationException($"Options type {type} needs a public constructor taking an MlpPreset to be cloned."));
        foreach (var p in Properties.GetOrAdd(type, Find))
        {
            object? value = p.GetValue(source);
            if (value is Array array) value = array.Clone();
            p.SetValue(copy, value);
        }
        return copy;
    }

    private static PropertyInfo[] Find(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetMethod!.IsPublic && p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
            .ToArray();
}
