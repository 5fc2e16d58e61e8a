using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Engine;
using MLNetBackprop.Internals;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>
/// Standardizes a Single column (scalar or known-size vector) slot by slot with statistics learned by
/// <see cref="BatchNormalizingEstimator"/>: <c>y = γ·(x − mean)/√(var + ε) + β</c>, the eval-mode formula of
/// PyTorch's <c>BatchNorm1d</c>. Output has the input's type, size and slot names and is marked <c>IsNormalized</c>.
/// NaN inputs give NaN outputs. Save/load with <c>mlContext.Model</c> (register first, see remarks).
/// </summary>
/// <remarks>
/// A model containing this transformer loads in any <see cref="MLContext"/> that built a
/// <see cref="BatchNormalizingEstimator"/> or on which <c>RegisterBackprop()</c> was called; otherwise ML.NET's
/// <c>mlContext.Model.Load</c> throws <see cref="FormatException"/> ("Couldn't load model").
/// </remarks>
public sealed class BatchNormalizingTransformer : AppendingTransformerBase, IOnnxExportable
{
    internal const string PayloadKind = "BatchNorm";
    internal const int BodyVersion = 1;
    internal const int MaxSlots = 1 << 24;
    internal const int MaxNameBytes = 4096;

    internal static readonly ModelIdentity Identity = new(
        ModelSignature: "BPBNORMT",
        VersionWritten: 0x00010001,
        VersionReadable: 0x00010001,
        VersionWeCanRead: 0x00010001,
        LoaderSignature: "MLNetBackpropBatchNorm");

    private readonly double[] _mean;
    private readonly double[] _variance;
    private readonly float[] _gamma;
    private readonly float[] _beta;
    private readonly double[] _scale; // γ/√(var+ε), per slot

    internal BatchNormalizingTransformer(IHostEnvironment env, string outputColumnName, string inputColumnName, bool isVector,
        float epsilon, long rowCount, double[] mean, double[] variance, float[] gamma, float[] beta)
        : base(env, nameof(BatchNormalizingTransformer))
    {
        int n = mean.Length;
        if (n < 1 || variance.Length != n || gamma.Length != n || beta.Length != n || (!isVector && n != 1))
            throw new ArgumentException("Statistics, gamma and beta must have one entry per slot (1 for a scalar column).");
        if (!(epsilon > 0) || float.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive and finite.");
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        IsVector = isVector;
        Epsilon = epsilon;
        RowCount = rowCount;
        _mean = mean;
        _variance = variance;
        _gamma = gamma;
        _beta = beta;
        _scale = new double[n];
        for (int i = 0; i < n; i++)
            _scale[i] = BatchNormLayer.InferenceScale(gamma[i], variance[i], epsilon);
    }

    /// <summary>Name of the column added (hides an input column of the same name).</summary>
    public string OutputColumnName { get; }

    /// <summary>Name of the column read.</summary>
    public string InputColumnName { get; }

    /// <summary>Whether the input is a known-size vector (else a Single scalar).</summary>
    public bool IsVector { get; }

    /// <summary>Number of slots (1 for a scalar).</summary>
    public int SlotCount => _mean.Length;

    /// <summary>ε added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Number of rows the statistics were computed from.</summary>
    public long RowCount { get; }

    /// <summary>Per-slot mean of the training data.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>Per-slot unbiased variance (divisor n − 1) of the training data.</summary>
    public IReadOnlyList<double> Variance => _variance;

    /// <summary>Per-slot scale γ.</summary>
    public IReadOnlyList<float> Gamma => _gamma;

    /// <summary>Per-slot shift β.</summary>
    public IReadOnlyList<float> Beta => _beta;

    /// <summary>Checks the input column exists and is a Single scalar or known-size Single vector; returns it.</summary>
    internal static DataViewSchema.Column CheckInput(DataViewSchema schema, string name)
    {
        var col = schema.GetColumnOrNull(name)
                  ?? throw new ArgumentOutOfRangeException("inputSchema", $"BatchNormalize: input column '{name}' was not found; expected a Single scalar or known-size vector of Single.");
        var t = col.Type;
        bool ok = t == NumberDataViewType.Single
                  || (t is VectorDataViewType v && v.ItemType == NumberDataViewType.Single && v.IsKnownSize);
        if (!ok)
            throw new ArgumentOutOfRangeException("inputSchema", $"BatchNormalize: input column '{name}' has type {t}; expected a Single scalar or known-size vector of Single.");
        return col;
    }

    private protected override AppendingMapper Bind(DataViewSchema inputSchema)
    {
        var col = CheckInput(inputSchema, InputColumnName);
        int size = col.Type is VectorDataViewType v ? v.Size : 1;
        bool isVector = col.Type is VectorDataViewType;
        if (isVector != IsVector || size != SlotCount)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"BatchNormalize: input column '{InputColumnName}' has type {col.Type}; this transformer was fitted on " +
                (IsVector ? $"Vector<Single, {SlotCount}>" : "Single") + ".");
        return new Mapper(this, inputSchema, col);
    }

    private sealed class Mapper : AppendingMapper
    {
        private readonly BatchNormalizingTransformer _parent;
        private readonly DataViewSchema.Column _input;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(BatchNormalizingTransformer parent, DataViewSchema inputSchema, DataViewSchema.Column input)
            : base(inputSchema)
        {
            _parent = parent;
            _input = input;
            var ab = new DataViewSchema.Annotations.Builder();
            ab.Add(input.Annotations, n => n == "SlotNames");
            ab.Add("IsNormalized", BooleanDataViewType.Instance, (ref bool value) => value = true);
            _outputs = [new DataViewSchema.DetachedColumn(parent.OutputColumnName, input.Type, ab.ToAnnotations())];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive) =>
            isOutputActive(0) ? [_input] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            if (!isOutputActive(0))
                return [null];
            var p = _parent;
            double[] mean = p._mean, scale = p._scale;
            float[] beta = p._beta;
            if (!p.IsVector)
            {
                var src = input.GetGetter<float>(_input);
                ValueGetter<float> scalar = (ref float dst) =>
                {
                    float x = 0;
                    src(ref x);
                    dst = (float)((x - mean[0]) * scale[0] + beta[0]);
                };
                return [scalar];
            }

            int n = p.SlotCount;
            var vecGetter = input.GetGetter<VBuffer<float>>(_input);
            VBuffer<float> buf = default; // per cursor
            string name = _input.Name;
            ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> dst) =>
            {
                vecGetter(ref buf);
                if (buf.Length != n)
                    throw new InvalidOperationException($"BatchNormalize: column '{name}' has a vector of length {buf.Length}; expected {n}.");
                var editor = VBufferEditor.Create(ref dst, n);
                var outv = editor.Values;
                var values = buf.GetValues();
                if (buf.IsDense)
                {
                    for (int i = 0; i < n; i++)
                        outv[i] = (float)((values[i] - mean[i]) * scale[i] + beta[i]);
                }
                else
                {
                    for (int i = 0; i < n; i++)
                        outv[i] = (float)(-mean[i] * scale[i] + beta[i]);
                    var indices = buf.GetIndices();
                    for (int k = 0; k < indices.Length; k++)
                    {
                        int i = indices[k];
                        outv[i] = (float)((values[k] - mean[i]) * scale[i] + beta[i]);
                    }
                }
                dst = editor.Commit();
            };
            return [vector];
        }
    }

    /// <summary>ONNX: y = (x − μ)·s + β per slot (Sub, Mul, Add; μ, s = γ/√(σ² + ε) and β rounded to float).</summary>
    void IOnnxExportable.ExportOnnx(OnnxGraph graph, OnnxColumns columns)
    {
        string step = $"BatchNormalize('{OutputColumnName}' from '{InputColumnName}')";
        string x = columns.Value(InputColumnName, step);
        int n = SlotCount;
        string centred = graph.Sub(x, graph.Constant(_mean.Select(v => (float)v).ToArray(), 1, n));
        string scaled = graph.Mul(centred, graph.Constant(_scale.Select(v => (float)v).ToArray(), 1, n));
        string y = graph.Add(scaled, graph.Constant(_beta, 1, n), OutputColumnName);
        columns.Set(OutputColumnName, y, IsVector ? new VectorDataViewType(NumberDataViewType.Single, n) : NumberDataViewType.Single);
    }

    private protected override void SaveModel(ModelSaveContext ctx) =>
        MLNetBridge.SaveModel(ctx, Identity, typeof(BatchNormalizingTransformer), w => WritePayload().WriteTo(w));

    /// <summary>
    /// Body (version 1), after the frame header of <see cref="PayloadWriter"/>:
    /// string input column name (≤ 4096 bytes); string output column name (≤ 4096 bytes); Boolean is-vector;
    /// int32 slot count n (1..2^24, 1 for a scalar); Single ε (&gt; 0, finite); int64 row count (≥ 2);
    /// Double[n] mean (finite); Double[n] variance (finite, ≥ 0); Single[n] γ (finite); Single[n] β (finite).
    /// </summary>
    internal PayloadWriter WritePayload()
    {
        var w = new PayloadWriter(PayloadKind, BodyVersion);
        w.WriteString(InputColumnName);
        w.WriteString(OutputColumnName);
        w.WriteBoolean(IsVector);
        w.WriteInt32(SlotCount);
        w.WriteSingle(Epsilon);
        w.WriteInt64(RowCount);
        w.WriteDoubles(_mean);
        w.WriteDoubles(_variance);
        w.WriteSingles(_gamma);
        w.WriteSingles(_beta);
        return w;
    }

    /// <summary>Parses a body written by <see cref="WritePayload"/>; every failure is an <see cref="InvalidDataException"/>.</summary>
    internal static BatchNormalizingTransformer ReadPayload(IHostEnvironment env, PayloadReader r)
    {
        string input = r.ReadString("input column name", MaxNameBytes);
        string output = r.ReadString("output column name", MaxNameBytes);
        if (input.Length == 0 || output.Length == 0)
            throw new InvalidDataException($"{PayloadKind} payload: empty column name.");
        bool isVector = r.ReadBoolean("is vector");
        int n = r.ReadInt32("slot count", 1, isVector ? MaxSlots : 1);
        float eps = r.ReadSingle("epsilon", float.Epsilon, float.MaxValue);
        long rows = r.ReadInt64("row count", 2, long.MaxValue);
        double[] mean = r.ReadDoubles("mean", n);
        double[] variance = r.ReadDoubles("variance", n);
        float[] gamma = r.ReadSingles("gamma", n);
        float[] beta = r.ReadSingles("beta", n);
        r.EnsureEnd();
        for (int i = 0; i < n; i++)
        {
            Check(double.IsFinite(mean[i]), "mean", i, mean[i]);
            Check(double.IsFinite(variance[i]) && variance[i] >= 0, "variance", i, variance[i]);
            Check(float.IsFinite(gamma[i]), "gamma", i, gamma[i]);
            Check(float.IsFinite(beta[i]), "beta", i, beta[i]);
        }
        return new BatchNormalizingTransformer(env, output, input, isVector, eps, rows, mean, variance, gamma, beta);

        static void Check(bool ok, string what, int slot, double value)
        {
            if (!ok)
                throw new InvalidDataException($"{PayloadKind} payload: '{what}[{slot}]' = {value.ToString("R", CultureInfo.InvariantCulture)} is invalid.");
        }
    }

    /// <summary>Loader registered with ML.NET by <see cref="TransformsRegistration.Register"/>.</summary>
    private static BatchNormalizingTransformer Create(IHostEnvironment env, object modelLoadContext)
    {
        var reader = MLNetBridge.GetReader(modelLoadContext, Identity);
        var payload = PayloadReader.ReadFrom(reader, PayloadKind, BodyVersion, BodyVersion);
        return ReadPayload(env, payload);
    }

    internal static MethodInfo LoaderMethod =>
        typeof(BatchNormalizingTransformer).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;
}
