namespace MLNetBackprop.Engine;

/// <summary>
/// A row-major float32 matrix of <see cref="Rows"/> × <see cref="Columns"/> over a buffer that
/// only grows. Layers own their output and gradient matrices and reuse them batch after batch,
/// so the steady state of training allocates nothing.
/// </summary>
public sealed class Matrix
{
    private float[] _data;

    /// <summary>Creates a matrix of the given shape, filled with zeros.</summary>
    /// <param name="rows">Number of rows (mini-batch size for activations).</param>
    /// <param name="columns">Number of columns (features or units).</param>
    public Matrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        _data = new float[checked(rows * columns)];
    }

    /// <summary>Wraps an existing row-major buffer (no copy).</summary>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of columns.</param>
    /// <param name="data">Buffer holding at least rows × columns values.</param>
    public Matrix(int rows, int columns, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if ((long)rows * columns > data.Length)
            throw new ArgumentException($"A {rows}×{columns} matrix needs {(long)rows * columns} values; the buffer has {data.Length}.", nameof(data));
        Rows = rows;
        Columns = columns;
        _data = data;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; private set; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>The backing buffer; may be longer than <see cref="Length"/>.</summary>
    public float[] Data => _data;

    /// <summary>Rows × Columns.</summary>
    public int Length => Rows * Columns;

    /// <summary>The live values, row-major.</summary>
    public Span<float> Span => _data.AsSpan(0, Rows * Columns);

    /// <summary>One row of the matrix.</summary>
    /// <param name="row">Row index.</param>
    public Span<float> Row(int row) => _data.AsSpan(row * Columns, Columns);

    /// <summary>Element access (row, column).</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column index.</param>
    public ref float this[int row, int column] => ref _data[row * Columns + column];

    /// <summary>
    /// Sets the number of rows, growing the buffer only when it is too small. Contents are not
    /// preserved when the buffer grows.
    /// </summary>
    /// <param name="rows">The new number of rows.</param>
    public void SetRows(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int needed = checked(rows * Columns);
        if (needed > _data.Length) _data = new float[needed];
        Rows = rows;
    }

    /// <summary>Makes <paramref name="matrix"/> a matrix of the given shape, reusing it when it has the right column count.</summary>
    /// <param name="matrix">The matrix to reuse, or null.</param>
    /// <param name="rows">Rows wanted.</param>
    /// <param name="columns">Columns wanted.</param>
    public static Matrix Ensure(ref Matrix? matrix, int rows, int columns)
    {
        if (matrix is null || matrix.Columns != columns) matrix = new Matrix(rows, columns);
        else matrix.SetRows(rows);
        return matrix;
    }

    /// <summary>Copies the live values into a new array.</summary>
    public float[] ToArray() => Span.ToArray();
}
