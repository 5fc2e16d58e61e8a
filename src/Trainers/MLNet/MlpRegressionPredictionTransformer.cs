using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;
using MLNetBackprop.Onnx;

namespace MLNetBackprop;

/// <summary>Scores with a trained regression MLP. Appends <c>Score</c> (Single, in the label's units).</summary>
public sealed class MlpRegressionPredictionTransformer : MlpPredictionTransformerBase
{
    internal static readonly ModelIdentity ModelIdentity = new("BPMLPREG", 0x00010001, 0x00010001, 0x00010001, "BackpropMlpRegression");

    internal MlpRegressionPredictionTransformer(IHostEnvironment env, MlpModelParameters model, string featureColumnName)
        : base(env, nameof(MlpRegressionPredictionTransformer), model, featureColumnName, keyValues: null)
    {
    }

    /// <summary>Name of the score column ("Score").</summary>
    public string ScoreColumnName => "Score";

    private protected override TaskKind Task => TaskKind.Regression;

    private protected override ModelIdentity Identity => ModelIdentity;

    private protected override DataViewSchema.DetachedColumn[] OutputColumns() =>
        [new("Score", NumberDataViewType.Single, ScoreAnnotations("Regression", "Score"))];

    private protected override Delegate?[] CreateGetters(RowScorer scorer, Func<int, bool> isOutputActive)
    {
        ValueGetter<float> score = (ref float dst) => { scorer.Ensure(); dst = scorer.Output[0]; };
        return [isOutputActive(0) ? score : null];
    }

    private protected override void ExportOnnxOutputs(OnnxGraph graph, OnnxColumns columns, string rawOutputs)
    {
        var output = OutputColumns()[0];
        columns.Set(output.Name, graph.Add(graph.Mul(rawOutputs, graph.Scalar(Model.LabelScale)), graph.Scalar(Model.LabelMean), "Score"), output.Type);
    }

    private static MlpRegressionPredictionTransformer Create(IHostEnvironment env, object modelLoadContext)
    {
        var (feature, model, _) = Load(modelLoadContext, ModelIdentity, TaskKind.Regression);
        return new MlpRegressionPredictionTransformer(env, model, feature);
    }

    internal static MethodInfo LoaderMethod => typeof(MlpRegressionPredictionTransformer).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;
}
