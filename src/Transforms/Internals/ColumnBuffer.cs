using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Internals;

/// <summary>
/// The values of one input column for the rows a <see cref="BlockAppendedCursor"/> has read ahead: row i's value is
/// read into slot i while the input cursor is on that row, and served from the slot later. Vectors keep one
/// <see cref="VBuffer{T}"/> per slot, whose arrays the input's getter reuses from block to block; text is copied, since a
/// source may reuse the memory its <see cref="ReadOnlyMemory{T}"/> points into once it moves on.
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>A buffer for <paramref name="column"/> of <paramref name="input"/> (whose cursor must have it active).</summary>
    public static ColumnBuffer Create(DataViewRowCursor input, DataViewSchema.Column column)
    {
        // Our own generic type, closed over the column's raw type (an ML.NET schema type, never a name from a file).
        var type = typeof(ColumnBuffer<>).MakeGenericType(column.Type.RawType);
        return (ColumnBuffer)Activator.CreateInstance(type, input, column)!;
    }

    /// <summary>Reads the input's current row into <paramref name="slot"/>.</summary>
    public abstract void Read(int slot);

    /// <summary>Makes room for <paramref name="slots"/> rows (keeping what is held).</summary>
    public abstract void EnsureCapacity(int slots);

    /// <summary>A getter serving the slot <paramref name="current"/> says (a <c>ValueGetter&lt;T&gt;</c> of the raw type).</summary>
    public abstract Delegate Getter(Func<int> current);
}

/// <summary>The <see cref="ColumnBuffer"/> of a column of raw type <typeparamref name="T"/>.</summary>
internal sealed class ColumnBuffer<T> : ColumnBuffer
{
    private static readonly bool IsText = typeof(T) == typeof(ReadOnlyMemory<char>);
    private static readonly bool IsTextVector = typeof(T) == typeof(VBuffer<ReadOnlyMemory<char>>);
    private readonly ValueGetter<T> _source;
    private T[] _values = [];

    public ColumnBuffer(DataViewRowCursor input, DataViewSchema.Column column) => _source = input.GetGetter<T>(column);

    /// <summary>The held values; slot i is row i of the block.</summary>
    public T[] Values => _values;

    public override void EnsureCapacity(int slots)
    {
        if (_values.Length < slots) Array.Resize(ref _values, slots);
    }

    public override void Read(int slot)
    {
        _source(ref _values[slot]);
        if (IsText)
        {
            ref var text = ref Unsafe.As<T, ReadOnlyMemory<char>>(ref _values[slot]);
            text = text.Span.ToString().AsMemory();
        }
        else if (IsTextVector)
        {
            ref var texts = ref Unsafe.As<T, VBuffer<ReadOnlyMemory<char>>>(ref _values[slot]);
            var editor = VBufferEditor.CreateFromBuffer(ref texts);
            for (int i = 0; i < editor.Values.Length; i++) editor.Values[i] = editor.Values[i].Span.ToString().AsMemory();
        }
    }

    public override Delegate Getter(Func<int> current) => new ValueGetter<T>((ref T destination) => Copy(_values[current()], ref destination));

    private static readonly bool IsVector = typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(VBuffer<>);

    /// <summary>A vector is copied into the caller's buffer (reusing its arrays); anything else is a value.</summary>
    private static void Copy(in T value, ref T destination)
    {
        if (IsVector) VectorCopier<T>.Copy(value, ref destination);
        else destination = value;
    }
}

/// <summary>Copies a <see cref="VBuffer{T}"/> of any item type into a caller's buffer (ML.NET's getter contract).</summary>
internal abstract class VectorCopier<TVector>
{
    private static readonly VectorCopier<TVector> Instance = (VectorCopier<TVector>)Activator.CreateInstance(
        typeof(VectorCopier<,>).MakeGenericType(typeof(TVector), typeof(TVector).GetGenericArguments()[0]))!;

    public static void Copy(in TVector value, ref TVector destination) => Instance.CopyVector(value, ref destination);

    protected abstract void CopyVector(in TVector value, ref TVector destination);
}

/// <summary>The <see cref="VectorCopier{TVector}"/> of <c>VBuffer&lt;TItem&gt;</c>.</summary>
internal sealed class VectorCopier<TVector, TItem> : VectorCopier<TVector>
{
    protected override void CopyVector(in TVector value, ref TVector destination)
    {
        ref readonly var source = ref Unsafe.As<TVector, VBuffer<TItem>>(ref Unsafe.AsRef(in value));
        source.CopyTo(ref Unsafe.As<TVector, VBuffer<TItem>>(ref destination));
    }
}
