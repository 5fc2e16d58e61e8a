using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The optimizer name table, PyTorch's defaults, argument checks, and hand-computed steps.</summary>
public class OptimizerApiTests
{
    // ---- Names ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("ADAM", "adam")]
    [InlineData("Adam", "adam")]
    [InlineData(" adamw ", "adamw")]
    [InlineData("RmsProp", "rmsprop")]
    [InlineData("NESTEROV", "nesterov")]
    public void FromNameIsCaseInsensitive(string given, string expected) => Assert.Equal(expected, Optimizer.FromName(given).Name);

    [Fact]
    public void StringConvertsImplicitly()
    {
        Optimizer adam = "adam";
        Optimizer rmsprop = "RMSProp";
        Assert.IsType<AdamOptimizer>(adam);
        Assert.False(((AdamOptimizer)adam).Decoupled);
        Assert.IsType<RmsPropOptimizer>(rmsprop);
    }

    [Fact]
    public void EveryNameRoundTrips()
    {
        Assert.Equal(10, Optimizer.Names.Count);
        Assert.Equal(Optimizer.Names.Count, Optimizer.Names.Distinct().Count());
        foreach (var name in Optimizer.Names)
        {
            Assert.Equal(name, Optimizer.FromName(name).Name);
            Assert.Equal(name, Optimizer.FromName(name.ToUpperInvariant()).Name);
            Assert.Equal(name, Optimizer.FromName(name).WithLearningRate(0.5).Name);
        }
    }

    [Fact]
    public void UnknownNameListsEveryValidName()
    {
        var e = Assert.Throws<ArgumentException>(() => Optimizer.FromName("lbfgs"));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("lbfgs", e.Message);
        foreach (var name in Optimizer.Names) Assert.Contains(name, e.Message);
        Assert.Throws<ArgumentException>(() => { Optimizer o = "adamm"; });
        Assert.Throws<ArgumentNullException>(() => Optimizer.FromName(null!));
    }

    // ---- PyTorch defaults ----------------------------------------------------------------------

    [Fact]
    public void FactoriesUsePyTorchDefaults()
    {
        var adam = Assert.IsType<AdamOptimizer>(Optimizer.Adam());
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.0, false, false), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay, adam.AmsGrad, adam.Decoupled));

        var adamW = Assert.IsType<AdamOptimizer>(Optimizer.AdamW());
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.01, false, true), (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay, adamW.AmsGrad, adamW.Decoupled));

        var adagrad = Assert.IsType<AdagradOptimizer>(Optimizer.Adagrad());
        Assert.Equal((0.01, 0.0, 0.0, 0.0, 1e-10), (adagrad.LearningRate, adagrad.LearningRateDecay, adagrad.WeightDecay, adagrad.InitialAccumulatorValue, adagrad.Epsilon));

        var rms = Assert.IsType<RmsPropOptimizer>(Optimizer.RmsProp());
        Assert.Equal((0.01, 0.99, 1e-8, 0.0, 0.0, false), (rms.LearningRate, rms.Alpha, rms.Epsilon, rms.WeightDecay, rms.MomentumFactor, rms.Centered));

        var adaDelta = Assert.IsType<AdaDeltaOptimizer>(Optimizer.AdaDelta());
        Assert.Equal((1.0, 0.9, 1e-6, 0.0), (adaDelta.LearningRate, adaDelta.Rho, adaDelta.Epsilon, adaDelta.WeightDecay));

        var nadam = Assert.IsType<NadamOptimizer>(Optimizer.Nadam());
        Assert.Equal((2e-3, 0.9, 0.999, 1e-8, 0.0, 4e-3), (nadam.LearningRate, nadam.Beta1, nadam.Beta2, nadam.Epsilon, nadam.WeightDecay, nadam.MomentumDecay));

        var adamax = Assert.IsType<AdamaxOptimizer>(Optimizer.Adamax());
        Assert.Equal((2e-3, 0.9, 0.999, 1e-8, 0.0), (adamax.LearningRate, adamax.Beta1, adamax.Beta2, adamax.Epsilon, adamax.WeightDecay));

        var sgd = Assert.IsType<SgdOptimizer>(Optimizer.Sgd());
        Assert.Equal((0.0, 0.0, false, 0.0), (sgd.MomentumFactor, sgd.Dampening, sgd.IsNesterov, sgd.WeightDecay));

        var momentum = Assert.IsType<SgdOptimizer>(Optimizer.Momentum());
        Assert.Equal((0.9, 0.0, false), (momentum.MomentumFactor, momentum.Dampening, momentum.IsNesterov));

        var nesterov = Assert.IsType<SgdOptimizer>(Optimizer.Nesterov());
        Assert.Equal((0.9, 0.0, true), (nesterov.MomentumFactor, nesterov.Dampening, nesterov.IsNesterov));
    }

    [Fact]
    public void NamesGiveTheDefaultFactories()
    {
        Assert.Equal(Optimizer.Adam().ToString(), Optimizer.FromName("adam").ToString());
        Assert.Equal(0.01, Optimizer.FromName("adamw").WeightDecay);
        Assert.Equal(0.9, Assert.IsType<SgdOptimizer>(Optimizer.FromName("momentum")).MomentumFactor);
        Assert.True(Assert.IsType<SgdOptimizer>(Optimizer.FromName("nesterov")).IsNesterov);
        Assert.Equal(0.0, Assert.IsType<SgdOptimizer>(Optimizer.FromName("sgd")).MomentumFactor);
    }

    [Fact]
    public void WithLearningRateKeepsTheOtherHyperParameters()
    {
        var adam = Assert.IsType<AdamOptimizer>(Optimizer.AdamW(beta1: 0.8, weightDecay: 0.1, amsgrad: true).WithLearningRate(0.5));
        Assert.Equal((0.5, 0.8, 0.1, true, true), (adam.LearningRate, adam.Beta1, adam.WeightDecay, adam.AmsGrad, adam.Decoupled));
    }

    // ---- Argument checks -----------------------------------------------------------------------

    public static TheoryData<string, Func<Optimizer>> InvalidHyperParameters() => new()
    {
        { "learningRate", () => Optimizer.Sgd(learningRate: -1) },
        { "learningRate", () => Optimizer.Adam(learningRate: double.NaN) },
        { "learningRate", () => Optimizer.AdaDelta(learningRate: double.PositiveInfinity) },
        { "weightDecay", () => Optimizer.Sgd(weightDecay: -0.1) },
        { "weightDecay", () => Optimizer.AdamW(weightDecay: double.NaN) },
        { "momentum", () => Optimizer.Momentum(momentum: 1) },
        { "momentum", () => Optimizer.Momentum(momentum: -0.1) },
        { "dampening", () => Optimizer.Momentum(dampening: 1.5) },
        { "nesterov", () => Optimizer.Nesterov(momentum: 0) },
        { "learningRateDecay", () => Optimizer.Adagrad(learningRateDecay: -1) },
        { "initialAccumulatorValue", () => Optimizer.Adagrad(initialAccumulatorValue: -1) },
        { "epsilon", () => Optimizer.Adagrad(epsilon: -1e-10) },
        { "alpha", () => Optimizer.RmsProp(alpha: 1.5) },
        { "alpha", () => Optimizer.RmsProp(alpha: -0.1) },
        { "momentum", () => Optimizer.RmsProp(momentum: 1) },
        { "epsilon", () => Optimizer.RmsProp(epsilon: double.NaN) },
        { "beta1", () => Optimizer.Adam(beta1: 1) },
        { "beta2", () => Optimizer.Adam(beta2: -0.1) },
        { "epsilon", () => Optimizer.Adam(epsilon: -1) },
        { "beta1", () => Optimizer.AdamW(beta1: 1.1) },
        { "rho", () => Optimizer.AdaDelta(rho: 1.1) },
        { "epsilon", () => Optimizer.AdaDelta(epsilon: -1) },
        { "beta1", () => Optimizer.Nadam(beta1: 1) },
        { "momentumDecay", () => Optimizer.Nadam(momentumDecay: -1) },
        { "beta1", () => Optimizer.Adamax(beta1: -0.5) },
        { "beta2", () => Optimizer.Adamax(beta2: 1) },
    };

    [Theory]
    [MemberData(nameof(InvalidHyperParameters))]
    public void InvalidHyperParameterThrowsNamingIt(string parameter, Func<Optimizer> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, e.ParamName);
    }

    // ---- Hand-computed steps -------------------------------------------------------------------

    [Fact]
    public void PlainSgdStepIsExact()
    {
        // Binary-exact numbers: p − lr·g and p − lr·(g + wd·p) have no rounding at all.
        var p = new Parameter("w", 2, isWeight: true);
        p.Value[0] = 1; p.Value[1] = 3;
        p.Gradient[0] = 0.5f; p.Gradient[1] = -4;
        var state = Optimizer.Sgd(learningRate: 0.25).CreateState([p]);
        state.Step();
        Assert.Equal([0.875f, 4f], p.Value);

        p.Value[0] = 1; p.Value[1] = 3;
        state = Optimizer.Sgd(learningRate: 0.25, weightDecay: 0.5).CreateState([p]);
        state.Step(); // g + wd·p = [1, −2.5]
        Assert.Equal([0.75f, 3.625f], p.Value);

        state.Step(learningRate: 0); // a per-step learning rate overrides the base one
        Assert.Equal([0.75f, 3.625f], p.Value);
    }

    [Fact]
    public void AdamFirstStepMovesEachValueByTheLearningRate()
    {
        // Step 1: m̂ = g and v̂ = g², so Δp = −lr·g/(|g| + ε) = −lr·sign(g) when |g| ≫ ε; g = 0 leaves p alone.
        const double lr = 1e-3;
        float[] g = [0.5f, -3f, 100f, -1e-3f, 250f, 0f];
        var p = new Parameter("w", g.Length, isWeight: true);
        g.CopyTo(p.Gradient, 0);
        var state = Optimizer.Adam(learningRate: lr).CreateState([p]);
        state.Step();
        for (int i = 0; i < g.Length; i++)
        {
            double expected = -lr * g[i] / (Math.Abs(g[i]) + 1e-8);
            Assert.True(Math.Abs(p.Value[i] - expected) <= 2e-6 * lr, $"element {i}: {p.Value[i]:R} vs {expected:R}");
            if (Math.Abs(g[i]) >= 0.1) Assert.Equal(lr, Math.Abs(p.Value[i]), 4e-6 * lr); // ε/|g| ≤ 1e-7: float rounding only
        }
        Assert.Equal(0f, p.Value[^1]);
    }

    [Fact]
    public void StateIsPerRunSoOneOptimizerServesManyRuns()
    {
        var optimizer = Optimizer.Adam(learningRate: 0.1);
        var a = new Parameter("a", 1, true);
        var b = new Parameter("b", 1, true);
        a.Gradient[0] = b.Gradient[0] = 1;
        var sa = optimizer.CreateState([a]);
        sa.Step();
        sa.Step();
        optimizer.CreateState([b]).Step();
        Assert.Equal(-0.1f, b.Value[0], 6);
        Assert.Equal(2, sa.StepCount);
    }
}
