using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>
/// One link for training metrics and served scores: the losses' Predict (what validation accuracy and AUC are computed
/// from) gives the served probabilities bit for bit, the limit rule for infinite logits included.
/// </summary>
public class OutputLinkTests
{
    [Fact]
    public void TheSoftmaxLossPredictsWhatIsServed()
    {
        var rng = new CounterRandom(5, 1);
        var logits = new Matrix(6, 7);
        for (int i = 0; i < logits.Length; i++) logits.Data[i] = (float)(30 * rng.NextGaussian());
        logits[4, 2] = float.PositiveInfinity;
        logits[5, 0] = float.NegativeInfinity;
        var served = (float[])logits.Data.Clone();
        for (int r = 0; r < 6; r++) OutputLink.Apply(LossKind.SoftmaxCrossEntropy, served.AsSpan(r * 7, 7));

        new SoftmaxCrossEntropyLoss().Predict(logits);
        Assert.Equal(served, logits.ToArray());
        Assert.Equal([0f, 0f, 1f, 0f, 0f, 0f, 0f], logits.ToArray()[(4 * 7)..(5 * 7)]);
        Assert.Equal(0f, logits[5, 0]);
        for (int r = 0; r < 6; r++) Assert.Equal(1.0, Enumerable.Range(0, 7).Sum(c => (double)logits[r, c]), 5);
    }

    [Fact]
    public void TheSigmoidLossPredictsWhatIsServed()
    {
        var logits = new Matrix(1, 5, [-80f, -1f, 0f, 2.5f, 90f]);
        var served = (float[])logits.Data.Clone();
        OutputLink.Apply(LossKind.SigmoidCrossEntropy, served);
        new SigmoidCrossEntropyLoss().Predict(logits);
        Assert.Equal(served, logits.ToArray());
        Assert.Equal(0.5f, logits[0, 2]);
    }
}
