using System.Runtime.CompilerServices;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>
/// Scores with a trained multiclass MLP. Appends <c>Score</c> (a known-size vector of class probabilities,
/// slots named after the label's key values) and <c>PredictedLabel</c> (the arg-max as a key carrying the
/// label's <c>KeyValues</c>, so <c>MapKeyToValue("PredictedLabel")</c> works). A row whose scores are NaN (a NaN
/// feature) gets <c>PredictedLabel</c> 0, ML.NET's missing key ("no prediction"), which <c>MapKeyToValue</c> maps to
/// the label type's missing value (an empty string for text, NaN for Single).
/// </summary>
public sealed class MlpMulticlassPredictionTransformer : MlpPredictionTransformerBase
{
    internal static readonly ModelIdentity ModelIdentity = new("BPMLPMCT", 0x00010001, 0x00010001, 0x00010001, "BackpropMlpMulticlass");

    internal MlpMulticlassPredictionTransformer(IHostEnvironment env, MlpModelParameters model, string featureColumnName, LabelKeyValues? keyValues)
        : base(env, nameof(MlpMulticlassPredictionTransformer), model, featureColumnName, keyValues)
    {
    }

    /// <summary>Name of the score column ("Score").</summary>
    public string ScoreColumnName => "Score";

    /// <summary>Name of the predicted-label column ("PredictedLabel").</summary>
    public string PredictedLabelColumnName => "PredictedLabel";

    private protected override TaskKind Task => TaskKind.Multiclass;

    private protected override ModelIdentity Identity => ModelIdentity;

    private protected override DataViewSchema.DetachedColumn[] OutputColumns()
    {
        int k = Model.OutputSize;
        var keyValues = KeyValues;
        var score = ScoreAnnotations("MulticlassClassification", "Score", b =>
        {
            if (keyValues is null) return;
            var names = keyValues.AsText().Select(s => s.AsMemory()).ToArray();
            b.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, k),
                (ref VBuffer<ReadOnlyMemory<char>> v) => new VBuffer<ReadOnlyMemory<char>>(k, names).CopyTo(ref v));
        });
        var labelAnnotations = new DataViewSchema.Annotations.Builder();
        keyValues?.AddKeyValues(labelAnnotations);
        return
        [
            new DataViewSchema.DetachedColumn("Score", new VectorDataViewType(NumberDataViewType.Single, k), score),
            new DataViewSchema.DetachedColumn("PredictedLabel", new KeyDataViewType(typeof(uint), k), labelAnnotations.ToAnnotations()),
        ];
    }

    private protected override Delegate?[] CreateGetters(RowScorer scorer, Func<int, bool> isOutputActive)
    {
        int k = Model.OutputSize;
        ValueGetter<VBuffer<float>> score = (ref VBuffer<float> dst) =>
        {
            scorer.Ensure();
            var editor = VBufferEditor.Create(ref dst, k);
            scorer.Output.AsSpan().CopyTo(editor.Values);
            dst = editor.Commit();
        };
        ValueGetter<uint> predicted = (ref uint dst) =>
        {
            scorer.Ensure();
            dst = PredictedKey(scorer.Output);
        };
        return [isOutputActive(0) ? score : null, isOutputActive(1) ? predicted : null];
    }

    /// <summary>The arg-max as a 1-based key; 0 (ML.NET's missing key, "no prediction") when any probability is NaN (a NaN feature).</summary>
    private protected override void ExportOnnxOutputs(OnnxGraph graph, OnnxColumns columns, string rawOutputs)
    {
        var outputs = OutputColumns();
        string score = graph.Node("Softmax", [rawOutputs], "Score", new OnnxAttributes().Int("axis", 1));
        // The key is the 1-based index of the first largest probability (ONNX's ArgMax also takes the first).
        string index = graph.Node("ArgMax", [score], "PredictedIndex", new OnnxAttributes().Int("axis", 1).Int("keepdims", 1));
        string key = graph.Node("Cast", [graph.Add(index, graph.Constant([1L], 1))], "PredictedLabel", new OnnxAttributes().Int("to", OnnxTypes.UInt32));
        columns.Set(outputs[0].Name, score, outputs[0].Type);
        columns.Set(outputs[1].Name, key, outputs[1].Type);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // scoring path: optimised from the first call (cold start)
    internal static uint PredictedKey(ReadOnlySpan<float> probabilities)
    {
        int best = 0;
        for (int c = 0; c < probabilities.Length; c++)
        {
            if (float.IsNaN(probabilities[c])) return 0;
            if (probabilities[c] > probabilities[best]) best = c;
        }
        return (uint)best + 1;
    }

    private static MlpMulticlassPredictionTransformer Create(IHostEnvironment env, object modelLoadContext)
    {
        var (feature, model, keyValues) = Load(modelLoadContext, ModelIdentity, TaskKind.Multiclass);
        return new MlpMulticlassPredictionTransformer(env, model, feature, keyValues);
    }

    internal static MethodInfo LoaderMethod => typeof(MlpMulticlassPredictionTransformer).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;
}
