using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Learns per-slot mean and variance of a Single column (scalar or known-size vector, dense or sparse) in one pass
/// and produces a <see cref="BatchNormalizingTransformer"/>. Create with
/// <see cref="BackpropTransformsCatalog.BatchNormalize"/>.
/// </summary>
/// <remarks>
/// <para>Statistics: the mean and the <b>unbiased</b> variance (divisor n − 1) over all rows, accumulated in double with
/// Welford's algorithm. These are exactly PyTorch's <c>BatchNorm1d(momentum=None)</c> running statistics after one
/// training step on the whole data set as a single batch (its running variance is the cumulative average of unbiased
/// batch variances), so the transformer reproduces that layer in eval mode. The result does not depend on row order
/// beyond double rounding (~1e-16 relative). Implicit zeros of sparse vectors count as values.</para>
/// <para>Fit requires at least 2 rows and no NaN or infinite value (the error names the column, row and slot).</para>
/// </remarks>
public sealed class BatchNormalizingEstimator : IEstimator<BatchNormalizingTransformer>
{
    private readonly IHost _host;
    private readonly float[]? _gamma;
    private readonly float[]? _beta;

    internal BatchNormalizingEstimator(IHostEnvironment env, string outputColumnName, string? inputColumnName,
        float epsilon, float[]? gamma, float[]? beta)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        if (!(epsilon > 0) || float.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive and finite.");
        CheckAffine(gamma, nameof(gamma));
        CheckAffine(beta, nameof(beta));
        TransformsRegistration.Register(env);
        _host = env.Register(nameof(BatchNormalizingEstimator));
        OutputColumnName = outputColumnName;
        InputColumnName = string.IsNullOrEmpty(inputColumnName) ? outputColumnName : inputColumnName;
        Epsilon = epsilon;
        _gamma = gamma is null ? null : (float[])gamma.Clone();
        _beta = beta is null ? null : (float[])beta.Clone();
    }

    private static void CheckAffine(float[]? values, string name)
    {
        if (values is null)
            return;
        if (values.Length == 0)
            throw new ArgumentException($"{name} must have 1 entry (used for every slot) or one per slot; it is empty.", name);
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] = {values[i]} is not finite.", name);
        }
    }

    /// <summary>Column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>Column read.</summary>
    public string InputColumnName { get; }

    /// <summary>ε added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Checks the input column and returns the schema with the output column added.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a Single scalar / known-size Single vector.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!MLNetBridge.TryFindColumn(inputSchema, InputColumnName, out var col))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"BatchNormalize: input column '{InputColumnName}' was not found; expected a Single scalar or known-size vector of Single.");
        bool ok = col.ItemType == NumberDataViewType.Single && !col.IsKey
                  && col.Kind is SchemaShape.Column.VectorKind.Scalar or SchemaShape.Column.VectorKind.Vector;
        if (!ok)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"BatchNormalize: input column '{InputColumnName}' has type {Describe(col)}; expected a Single scalar or known-size vector of Single.");
        var annotations = new List<SchemaShape.Column>();
        if (MLNetBridge.TryFindColumn(col.Annotations, "SlotNames", out var slotNames))
            annotations.Add(slotNames);
        annotations.Add(MLNetBridge.CreateColumn("IsNormalized", SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false));
        var output = MLNetBridge.CreateColumn(OutputColumnName, col.Kind, NumberDataViewType.Single, false, new SchemaShape(annotations));
        return MLNetBridge.AppendColumns(inputSchema, [output]);
    }

    private static string Describe(SchemaShape.Column c) =>
        c.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => c.ItemType.ToString(),
            SchemaShape.Column.VectorKind.Vector => $"Vector<{c.ItemType}>",
            _ => $"VarVector<{c.ItemType}>",
        } + (c.IsKey ? " (key)" : "");

    /// <summary>One pass over <paramref name="input"/> computing per-slot mean and unbiased variance.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong type.</exception>
    /// <exception cref="InvalidOperationException">Fewer than 2 rows, a NaN/infinite value, or gamma/beta of the wrong length.</exception>
    public BatchNormalizingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var col = BatchNormalizingTransformer.CheckInput(input.Schema, InputColumnName);
        bool isVector = col.Type is VectorDataViewType;
        int n = isVector ? ((VectorDataViewType)col.Type).Size : 1;
        float[] gamma = Expand(_gamma, n, 1f, "gamma");
        float[] beta = Expand(_beta, n, 0f, "beta");

        var mean = new double[n];
        var m2 = new double[n];
        long count = 0;
        using (var cursor = input.GetRowCursor([col]))
        {
            if (isVector)
            {
                var getter = cursor.GetGetter<VBuffer<float>>(col);
                VBuffer<float> buf = default;
                var dense = new float[n];
                while (cursor.MoveNext())
                {
                    getter(ref buf);
                    if (buf.Length != n)
                        throw new InvalidOperationException($"BatchNormalize: column '{InputColumnName}' row {cursor.Position} has {buf.Length} slots; expected {n}.");
                    buf.CopyTo(dense);
                    count++;
                    for (int i = 0; i < n; i++)
                        Accumulate(dense[i], i, count, mean, m2, cursor.Position);
                }
            }
            else
            {
                var getter = cursor.GetGetter<float>(col);
                float x = 0;
                while (cursor.MoveNext())
                {
                    getter(ref x);
                    count++;
                    Accumulate(x, 0, count, mean, m2, cursor.Position);
                }
            }
        }

        if (count < 2)
            throw new InvalidOperationException($"BatchNormalize: column '{InputColumnName}' has {count} row(s); at least 2 are needed to estimate the variance.");
        var variance = new double[n];
        for (int i = 0; i < n; i++)
            variance[i] = m2[i] / (count - 1);
        return new BatchNormalizingTransformer(_host, OutputColumnName, InputColumnName, isVector, Epsilon, count, mean, variance, gamma, beta);

        void Accumulate(float value, int slot, long k, double[] mu, double[] s2, long row)
        {
            if (!float.IsFinite(value))
                throw new InvalidOperationException(
                    $"BatchNormalize: column '{InputColumnName}' has {value.ToString(CultureInfo.InvariantCulture)} at row {row}" + (isVector ? $", slot {slot}" : "") + "; NaN and infinite values are not allowed when fitting.");
            double d = value - mu[slot];
            mu[slot] += d / k;
            s2[slot] += d * (value - mu[slot]);
        }
    }

    private static float[] Expand(float[]? values, int n, float fallback, string name)
    {
        if (values is null)
            return Enumerable.Repeat(fallback, n).ToArray();
        if (values.Length == 1)
            return Enumerable.Repeat(values[0], n).ToArray();
        if (values.Length != n)
            throw new InvalidOperationException($"BatchNormalize: {name} has {values.Length} entries; the input column has {n} slot(s) (give 1 or {n}).");
        return (float[])values.Clone();
    }
}
