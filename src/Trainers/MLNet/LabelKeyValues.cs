using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// The <c>KeyValues</c> of a multiclass label (the original class values), kept with the model so the
/// predicted key maps back with <c>MapKeyToValue</c> and the score slots are named, also after loading.
/// Text and the common numeric and Boolean item types are supported; other key-value types are dropped.
/// </summary>
internal sealed class LabelKeyValues
{
    private enum Code : byte { Text = 1, Single = 2, Double = 3, Int32 = 4, UInt32 = 5, Int64 = 6, UInt64 = 7, Boolean = 8 }

    private readonly Code _code;
    private readonly Array _values;

    private LabelKeyValues(Code code, Array values)
    {
        _code = code;
        _values = values;
    }

    public int Count => _values.Length;

    public PrimitiveDataViewType ItemType => _code switch
    {
        Code.Text => TextDataViewType.Instance,
        Code.Single => NumberDataViewType.Single,
        Code.Double => NumberDataViewType.Double,
        Code.Int32 => NumberDataViewType.Int32,
        Code.UInt32 => NumberDataViewType.UInt32,
        Code.Int64 => NumberDataViewType.Int64,
        Code.UInt64 => NumberDataViewType.UInt64,
        _ => BooleanDataViewType.Instance,
    };

    /// <summary>The label column's key values, or null when it has none of a supported type.</summary>
    public static LabelKeyValues? FromColumn(DataViewSchema.Column label, int classCount)
    {
        var ann = label.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (ann is null || ann.Value.Type is not VectorDataViewType vt || vt.Size != classCount) return null;
        var item = vt.ItemType;
        if (item is TextDataViewType) return new(Code.Text, Read<ReadOnlyMemory<char>>(label).Select(m => m.ToString()).ToArray());
        if (item == NumberDataViewType.Single) return new(Code.Single, Read<float>(label));
        if (item == NumberDataViewType.Double) return new(Code.Double, Read<double>(label));
        if (item == NumberDataViewType.Int32) return new(Code.Int32, Read<int>(label));
        if (item == NumberDataViewType.UInt32) return new(Code.UInt32, Read<uint>(label));
        if (item == NumberDataViewType.Int64) return new(Code.Int64, Read<long>(label));
        if (item == NumberDataViewType.UInt64) return new(Code.UInt64, Read<ulong>(label));
        if (item is BooleanDataViewType) return new(Code.Boolean, Read<bool>(label));
        return null;
    }

    private static T[] Read<T>(DataViewSchema.Column label)
    {
        VBuffer<T> buffer = default;
        label.Annotations.GetValue("KeyValues", ref buffer);
        return buffer.DenseValues().ToArray();
    }

    /// <summary>The values as text, for slot names.</summary>
    public string[] AsText() => _values.Cast<object>().Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();

    /// <summary>
    /// The first key (1-based) whose value differs from <paramref name="other"/>'s, with both values as text (this one's first);
    /// null when the values are equal (same type, count and values). Values of different types differ at key 1.
    /// </summary>
    public (int Key, string Mine, string Other)? FirstDifference(LabelKeyValues other)
    {
        string[] mine = AsText(), theirs = other.AsText();
        if (_code != other._code)
            return (1, $"{(mine.Length > 0 ? mine[0] : "")} ({ItemType})", $"{(theirs.Length > 0 ? theirs[0] : "")} ({other.ItemType})");
        for (int i = 0; i < Math.Min(Count, other.Count); i++)
            if (!Equals(_values.GetValue(i), other._values.GetValue(i))) return (i + 1, mine[i], theirs[i]);
        if (Count != other.Count) return (Math.Min(Count, other.Count) + 1, Count > other.Count ? mine[other.Count] : "", Count > other.Count ? "" : theirs[Count]);
        return null;
    }

    /// <summary>Adds the <c>KeyValues</c> annotation to <paramref name="builder"/>.</summary>
    public void AddKeyValues(DataViewSchema.Annotations.Builder builder)
    {
        var type = new VectorDataViewType(ItemType, Count);
        switch (_code)
        {
            case Code.Text: Add(builder, type, ((string[])_values).Select(s => s.AsMemory()).ToArray()); break;
            case Code.Single: Add(builder, type, (float[])_values); break;
            case Code.Double: Add(builder, type, (double[])_values); break;
            case Code.Int32: Add(builder, type, (int[])_values); break;
            case Code.UInt32: Add(builder, type, (uint[])_values); break;
            case Code.Int64: Add(builder, type, (long[])_values); break;
            case Code.UInt64: Add(builder, type, (ulong[])_values); break;
            case Code.Boolean: Add(builder, type, (bool[])_values); break;
        }
    }

    private static void Add<T>(DataViewSchema.Annotations.Builder builder, VectorDataViewType type, T[] values)
    {
        builder.Add("KeyValues", type, (ref VBuffer<T> dst) => new VBuffer<T>(values.Length, values).CopyTo(ref dst));
    }

    public void Write(PayloadWriter w)
    {
        w.WriteInt32((int)_code);
        w.WriteInt32(Count);
        switch (_code)
        {
            case Code.Text: foreach (var s in (string[])_values) w.WriteString(s); break;
            case Code.Single: w.WriteSingles((float[])_values); break;
            case Code.Double: w.WriteDoubles((double[])_values); break;
            case Code.Int32: foreach (int v in (int[])_values) w.WriteInt32(v); break;
            case Code.UInt32: foreach (uint v in (uint[])_values) w.WriteInt64(v); break;
            case Code.Int64: foreach (long v in (long[])_values) w.WriteInt64(v); break;
            case Code.UInt64: foreach (ulong v in (ulong[])_values) w.WriteInt64(unchecked((long)v)); break;
            case Code.Boolean: foreach (bool v in (bool[])_values) w.WriteBoolean(v); break;
        }
    }

    public static LabelKeyValues Read(PayloadReader r, int classCount)
    {
        var code = (Code)r.ReadInt32("key value type", (int)Code.Text, (int)Code.Boolean);
        int n = r.ReadInt32("key value count", classCount, classCount);
        int leastBytesEach = code switch { Code.Boolean => 1, Code.Text or Code.Single or Code.Int32 => 4, _ => 8 };
        r.Require("key values", (long)n * leastBytesEach, n); // before allocating n entries
        Array values;
        switch (code)
        {
            case Code.Text:
                var s = new string[n];
                for (int i = 0; i < n; i++) s[i] = r.ReadString("key value", 1 << 16);
                values = s;
                break;
            case Code.Single: values = r.ReadSingles("key values", n); break;
            case Code.Double: values = r.ReadDoubles("key values", n); break;
            case Code.Int32: values = Enumerable.Range(0, n).Select(_ => r.ReadInt32("key value", int.MinValue, int.MaxValue)).ToArray(); break;
            case Code.UInt32: values = Enumerable.Range(0, n).Select(_ => (uint)r.ReadInt64("key value", 0, uint.MaxValue)).ToArray(); break;
            case Code.Int64: values = Enumerable.Range(0, n).Select(_ => r.ReadInt64("key value", long.MinValue, long.MaxValue)).ToArray(); break;
            case Code.UInt64: values = Enumerable.Range(0, n).Select(_ => unchecked((ulong)r.ReadInt64("key value", long.MinValue, long.MaxValue))).ToArray(); break;
            default: values = Enumerable.Range(0, n).Select(_ => r.ReadBoolean("key value")).ToArray(); break;
        }
        return new LabelKeyValues(code, values);
    }
}
