using Microsoft.ML;
using Microsoft.ML.Data;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>One trained transformer scores from 8 threads at once with the single-threaded results.</summary>
public class ConcurrencyTests
{
    private const int Threads = 8;

    public sealed class Out
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    private static (MLContext Ml, MlpMulticlassPredictionTransformer Model, float[][] X, IDataView Data) Setup()
    {
        var ml = new MLContext(1);
        var (x, y) = Iris();
        var options = Multiclass(epochs: 10);
        options.HiddenLayers = [16, 8];
        options.BatchNorm = true;
        var data = KeyData(ml, x, y);
        return (ml, ml.MulticlassClassification.Trainers.Mlp(options).Fit(data), x, data);
    }

    private static T[] RunConcurrently<T>(Func<int, T> work)
    {
        var results = new T[Threads];
        var errors = new Exception?[Threads];
        using var barrier = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait();
                results[t] = work(t);
            }
            catch (Exception e)
            {
                errors[t] = e;
            }
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) Assert.True(th.Join(TimeSpan.FromSeconds(60)), "a scoring thread did not finish");
        Assert.All(errors, Assert.Null);
        return results;
    }

    [Fact]
    public void PredictionEnginePerThreadMatchesSingleThreaded()
    {
        var (ml, model, x, data) = Setup();
        var expected = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        var perThread = RunConcurrently(t =>
        {
            var engine = ml.Model.CreatePredictionEngine<FloatRow, Out>(model);
            var scores = new float[x.Length][];
            for (int round = 0; round < 5; round++)
                for (int i = 0; i < x.Length; i++)
                {
                    int row = (i + 17 * t) % x.Length; // different order per thread
                    var s = engine.Predict(new FloatRow { Features = x[row] }).Score;
                    if (round == 0) scores[row] = (float[])s.Clone();
                    else Assert.Equal(scores[row], s);
                }
            return scores;
        });
        foreach (var scores in perThread) Assert.Equal(expected, scores);
    }

    [Fact]
    public void SharedTransformViewReadByConcurrentCursorsMatchesSingleThreaded()
    {
        var (_, model, _, data) = Setup();
        var view = model.Transform(data);
        var expected = view.GetColumn<float[]>("Score").ToArray();
        var expectedLabels = view.GetColumn<uint>("PredictedLabel").ToArray();
        var perThread = RunConcurrently(t => (view.GetColumn<float[]>("Score").ToArray(), view.GetColumn<uint>("PredictedLabel").ToArray()));
        foreach (var (scores, labels) in perThread)
        {
            Assert.Equal(expected, scores);
            Assert.Equal(expectedLabels, labels);
        }
    }
}
