using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Engine.LayerTestHelpers;

namespace MLNetBackprop.Tests.Engine;

public class LayersDropoutTests
{
    [Fact]
    public void IdentityAtInferenceAndForZeroRate()
    {
        var x = Random(10, 8, 1);
        foreach (var (rate, training) in new[] { (0.5f, false), (0f, true), (0f, false) })
        {
            var d = new DropoutLayer(8, rate, 0);
            d.SetRandomKey(1, 1, 1);
            Assert.Equal(x.ToArray(), d.Forward(x, training).ToArray());
            var dy = Random(10, 8, 2);
            Assert.Equal(dy.ToArray(), d.Backward(dy)!.ToArray());
        }
    }

    [Fact]
    public void KeepsOneMinusPAndScalesKeptUnits()
    {
        const float p = 0.3f;
        var d = new DropoutLayer(500, p, 4);
        d.SetRandomKey(42, 0, 0);
        var x = Ones(200, 500);
        var y = d.Forward(x, true).ToArray();
        float scale = 1f / (1f - p);
        Assert.All(y, v => Assert.True(v == 0f || v == scale, $"{v}"));
        double kept = y.Count(v => v != 0f) / (double)y.Length;
        double se = Math.Sqrt(p * (1 - p) / y.Length);
        Assert.InRange(kept, 1 - p - 5 * se, 1 - p + 5 * se);
        // Backward applies the same mask and scale.
        var dx = d.Backward(Ones(200, 500))!.ToArray();
        Assert.Equal(y, dx);
    }

    [Fact]
    public void RateOneDropsEverything()
    {
        var d = new DropoutLayer(4, 1f, 0);
        Assert.All(d.Forward(Ones(3, 4), true).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(d.Backward(Ones(3, 4))!.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void SameKeySameMaskOtherKeysDiffer()
    {
        var x = Ones(16, 32);
        float[] MaskOf(long seed, long epoch, long batch, int layer)
        {
            var d = new DropoutLayer(32, 0.5f, layer);
            d.SetRandomKey(seed, epoch, batch);
            return d.Forward(x, true).ToArray();
        }
        var reference = MaskOf(7, 2, 5, 1);
        Assert.Equal(reference, MaskOf(7, 2, 5, 1));
        Assert.NotEqual(reference, MaskOf(8, 2, 5, 1));
        Assert.NotEqual(reference, MaskOf(7, 3, 5, 1));
        Assert.NotEqual(reference, MaskOf(7, 2, 6, 1));
        Assert.NotEqual(reference, MaskOf(7, 2, 5, 2));

        // The key does not advance by itself: repeated Forward calls repeat the mask.
        var layer = new DropoutLayer(32, 0.5f, 1);
        layer.SetRandomKey(7, 2, 5);
        Assert.Equal(reference, layer.Forward(x, true).ToArray());
        Assert.Equal(reference, layer.Forward(x, true).ToArray());
    }

    [Fact]
    public void RejectsBadRates()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutLayer(4, -0.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutLayer(4, 1.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutLayer(4, float.NaN, 0));
    }
}
