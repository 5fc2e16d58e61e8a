using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>
/// Scores with a trained binary MLP. Appends <c>Score</c> (the raw margin, the logit), <c>Probability</c>
/// (its sigmoid) and <c>PredictedLabel</c> (true when the probability is at least ½, i.e. the logit ≥ 0). A row with a
/// NaN feature gets NaN <c>Score</c> and <c>Probability</c> and <c>PredictedLabel</c> false.
/// </summary>
public sealed class MlpBinaryPredictionTransformer : MlpPredictionTransformerBase
{
    internal static readonly ModelIdentity ModelIdentity = new("BPMLPBIN", 0x00010001, 0x00010001, 0x00010001, "BackpropMlpBinary");

    internal MlpBinaryPredictionTransformer(IHostEnvironment env, MlpModelParameters model, string featureColumnName)
        : base(env, nameof(MlpBinaryPredictionTransformer), model, featureColumnName, keyValues: null)
    {
    }

    /// <summary>Name of the score column ("Score").</summary>
    public string ScoreColumnName => "Score";

    private protected override TaskKind Task => TaskKind.Binary;

    private protected override ModelIdentity Identity => ModelIdentity;

    private protected override DataViewSchema.DetachedColumn[] OutputColumns() =>
    [
        new("Score", NumberDataViewType.Single, ScoreAnnotations("BinaryClassification", "Score")),
        new("Probability", NumberDataViewType.Single, ScoreAnnotations("BinaryClassification", "Probability", b =>
            b.Add("IsNormalized", BooleanDataViewType.Instance, (ref bool v) => v = true))),
        new("PredictedLabel", BooleanDataViewType.Instance, ScoreAnnotations("BinaryClassification", "PredictedLabel")),
    ];

    private protected override Delegate?[] CreateGetters(RowScorer scorer, Func<int, bool> isOutputActive)
    {
        ValueGetter<float> score = (ref float dst) => { scorer.Ensure(); dst = scorer.Logits[0]; };
        ValueGetter<float> probability = (ref float dst) => { scorer.Ensure(); dst = scorer.Output[0]; };
        ValueGetter<bool> predicted = (ref bool dst) => { scorer.Ensure(); dst = scorer.Logits[0] >= 0f; };
        return [isOutputActive(0) ? score : null, isOutputActive(1) ? probability : null, isOutputActive(2) ? predicted : null];
    }

    private protected override void ExportOnnxOutputs(OnnxGraph graph, OnnxColumns columns, string rawOutputs)
    {
        var outputs = OutputColumns();
        columns.Set(outputs[0].Name, rawOutputs, outputs[0].Type);
        columns.Set(outputs[1].Name, graph.Unary("Sigmoid", rawOutputs, "Probability"), outputs[1].Type);
        columns.Set(outputs[2].Name, graph.Node("GreaterOrEqual", [rawOutputs, graph.Scalar(0f)], "PredictedLabel"), outputs[2].Type);
    }

    private static MlpBinaryPredictionTransformer Create(IHostEnvironment env, object modelLoadContext)
    {
        var (feature, model, _) = Load(modelLoadContext, ModelIdentity, TaskKind.Binary);
        return new MlpBinaryPredictionTransformer(env, model, feature);
    }

    internal static MethodInfo LoaderMethod => typeof(MlpBinaryPredictionTransformer).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;
}
