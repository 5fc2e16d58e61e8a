using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>
/// What the three MLP prediction transformers share: the model, the feature column check at bind time
/// (a missing column or a vector of the wrong size fails at <c>Transform</c>/<c>CreatePredictionEngine</c>
/// with both sizes named), per-cursor scoring buffers, and save/load through ML.NET's model files.
/// </summary>
/// <remarks>
/// <para>Numerics at scoring time: feature values are not checked. Finite features of any size give no exception and no
/// NaN (standardised inputs are clamped to ±1e20); probabilities stay in [0, 1] and multiclass probabilities sum to 1,
/// also when logits overflow to ±∞. Raw outputs — the binary <c>Score</c> (logit) and the regression <c>Score</c> — can be
/// ±∞ for extreme inputs.</para>
/// <para>A NaN feature (missing value) is not an error at scoring time: it gives NaN scores — the multiclass <c>Score</c>
/// vector, the binary <c>Score</c> and <c>Probability</c>, the regression <c>Score</c> — and a predicted label meaning
/// "no prediction": the multiclass <c>PredictedLabel</c> is key 0, ML.NET's missing key (<c>MapKeyToValue</c> maps it to
/// the label type's missing value: an empty string for text, NaN for Single), and the binary <c>PredictedLabel</c> is false. Replace missing values before
/// the trainer (e.g. <c>ReplaceMissingValues</c>) to get real predictions for such rows.</para>
/// <para>Thread safety: the transformer, its <c>Transform</c> views and their cursors can be used from many threads at
/// once (each cursor and each <c>PredictionEngine</c> owns its buffers); a single <c>PredictionEngine</c> cannot.</para>
/// </remarks>
public abstract class MlpPredictionTransformerBase : AppendingTransformerBase, ISingleFeaturePredictionTransformer<MlpModelParameters>, IOnnxExportable
{
    private protected MlpPredictionTransformerBase(IHostEnvironment env, string name, MlpModelParameters model, string featureColumnName, LabelKeyValues? keyValues)
        : base(env, name)
    {
        Model = model;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = new VectorDataViewType(NumberDataViewType.Single, model.InputSize);
        KeyValues = keyValues;
    }

    /// <summary>The trained model.</summary>
    public MlpModelParameters Model { get; }

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The feature column's type: a Single vector of the model's input size.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>The per-epoch training history (saved with the model; empty for a model saved by a version without it).</summary>
    public TrainingHistory History => Model.History;

    private protected LabelKeyValues? KeyValues { get; }

    private protected abstract TaskKind Task { get; }

    private protected abstract ModelIdentity Identity { get; }

    /// <summary>The appended columns for this task.</summary>
    private protected abstract DataViewSchema.DetachedColumn[] OutputColumns();

    /// <summary>Getters for the active outputs from a per-cursor <see cref="RowScorer"/>.</summary>
    private protected abstract Delegate?[] CreateGetters(RowScorer scorer, Func<int, bool> isOutputActive);

    /// <summary>Binds this task's output columns (Score…) to ONNX values computed from the model's raw outputs.</summary>
    private protected abstract void ExportOnnxOutputs(OnnxGraph graph, OnnxColumns columns, string rawOutputs);

    void IOnnxExportable.ExportOnnx(OnnxGraph graph, OnnxColumns columns)
    {
        string features = columns.Value(FeatureColumnName, $"{GetType().Name} (feature column '{FeatureColumnName}')");
        ExportOnnxOutputs(graph, columns, Model.ExportOnnx(graph, features));
    }

    private protected override AppendingMapper Bind(DataViewSchema inputSchema)
    {
        var column = inputSchema.GetColumnOrNull(FeatureColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{FeatureColumnName}' not found; the model expects a vector of {Model.InputSize} Single values.");
        if (column.Type is not VectorDataViewType { ItemType: var item } vt || item != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{FeatureColumnName}' has type {column.Type}; the model expects a vector of {Model.InputSize} Single values.");
        // A variable-size vector (e.g. a float[] without [VectorType] in a PredictionEngine class) is checked row by row.
        if (vt.IsKnownSize && vt.Size != Model.InputSize)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{FeatureColumnName}' has {vt.Size} slots; the model expects {Model.InputSize}.");
        return new Mapper(this, inputSchema, column);
    }

    private sealed class Mapper(MlpPredictionTransformerBase parent, DataViewSchema schema, DataViewSchema.Column feature) : AppendingMapper(schema)
    {
        private readonly DataViewSchema.DetachedColumn[] _outputs = parent.OutputColumns();

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive) =>
            Enumerable.Range(0, _outputs.Length).Any(isOutputActive) ? [feature] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            if (!Enumerable.Range(0, _outputs.Length).Any(isOutputActive)) return new Delegate?[_outputs.Length];
            return parent.CreateGetters(new RowScorer(parent.Model, input, feature), isOutputActive);
        }

        public override bool SupportsBlocks => true;

        public override BlockGetters? CreateBlockGetters(IRowBlock block, Func<int, bool> isOutputActive)
        {
            if (!Enumerable.Range(0, _outputs.Length).Any(isOutputActive)) return null;
            var scorer = new MlpBlockScorer(parent.Model, block, feature);
            return new BlockGetters(parent.CreateGetters(new RowScorer(parent.Model, block, scorer), isOutputActive), scorer.MaxRows, scorer.Compute);
        }
    }

    /// <summary>
    /// Scores the current row of one cursor once, however many output columns ask: the result is
    /// cached by row position. Holds that cursor's buffers, so no locking is needed.
    /// </summary>
    private protected sealed class RowScorer
    {
        private readonly MlpModelParameters _model;
        private readonly DataViewRow? _input;
        private readonly ValueGetter<VBuffer<float>>? _getFeatures;
        private readonly MlpModelParameters.Scratch? _scratch;
        private readonly float[] _dense = [];
        private readonly string _column = "";
        private readonly IRowBlock? _block;
        private readonly MlpBlockScorer? _blockScorer;
        private VBuffer<float> _buffer;
        private long _position = -1;

        /// <summary>Scores <paramref name="input"/>'s current row on demand.</summary>
        public RowScorer(MlpModelParameters model, DataViewRow input, DataViewSchema.Column feature)
        {
            _model = model;
            _input = input;
            _getFeatures = input.GetGetter<VBuffer<float>>(feature);
            _scratch = new MlpModelParameters.Scratch(model);
            _dense = new float[model.InputSize];
            _column = feature.Name;
            Output = new float[model.OutputSize];
            Logits = new float[model.OutputSize];
        }

        /// <summary>Serves the row <paramref name="block"/> is on from the outputs <paramref name="scorer"/> computed for its block.</summary>
        public RowScorer(MlpModelParameters model, IRowBlock block, MlpBlockScorer scorer)
        {
            _model = model;
            _block = block;
            _blockScorer = scorer;
            Output = new float[model.OutputSize];
            Logits = new float[model.OutputSize];
        }

        /// <summary>Outputs after the link (probabilities or values) of the current row.</summary>
        public float[] Output { get; }

        /// <summary>Raw outputs (logits) of the current row.</summary>
        public float[] Logits { get; }

        public void Ensure()
        {
            if (_block is not null)
            {
                long at = _block.StartPosition + _block.Current;
                if (at == _position && at >= 0) return;
                _blockScorer!.Get(_block.Current, Logits, Output);
                _position = at;
                return;
            }
            long position = _input!.Position;
            if (position == _position && position >= 0) return;
            _getFeatures!(ref _buffer);
            if (_buffer.Length != _dense.Length)
                throw new InvalidOperationException($"Feature column '{_column}', row {position}: the vector has {_buffer.Length} values; the model expects {_dense.Length}.");
            _buffer.CopyTo(_dense);
            _model.Forward(_dense, Logits, _scratch!);
            Logits.CopyTo(Output, 0);
            _model.ApplyLink(Output);
            _position = position;
        }
    }

    private protected override void SaveModel(ModelSaveContext ctx) =>
        MLNetBridge.SaveModel(ctx, Identity, typeof(MlpPredictionTransformerBase), w =>
        {
            var payload = new PayloadWriter(MlpModelSerializer.Kind, MlpModelSerializer.BodyVersion);
            MlpModelSerializer.Write(payload, Task, FeatureColumnName, Model, KeyValues);
            payload.WriteTo(w);
        });

    private protected static (string FeatureColumn, MlpModelParameters Model, LabelKeyValues? KeyValues) Load(object modelLoadContext, ModelIdentity identity, TaskKind task)
    {
        var reader = MLNetBridge.GetReader(modelLoadContext, identity);
        var payload = PayloadReader.ReadFrom(reader, MlpModelSerializer.Kind, MlpModelSerializer.MinBodyVersion, MlpModelSerializer.BodyVersion);
        return MlpModelSerializer.Read(payload, task);
    }

    private protected static DataViewSchema.Annotations ScoreAnnotations(string kind, string valueKind, Action<DataViewSchema.Annotations.Builder>? more = null)
    {
        var b = new DataViewSchema.Annotations.Builder();
        b.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = kind.AsMemory());
        b.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
        more?.Invoke(b);
        return b.ToAnnotations();
    }
}
