using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop.Tests.Transforms;

public class BridgeTests
{
    [Fact]
    public void SelfTestPasses() => MLNetBridge.SelfTest();

    [Fact]
    public void GetEnvironmentReachesTheMLContext()
    {
        var ml = new MLContext(1);
        IHostEnvironment env = ml;
        foreach (object catalog in new object[] { ml.Transforms, ml.MulticlassClassification.Trainers, ml.BinaryClassification.Trainers, ml.Regression.Trainers, ml.Model })
            Assert.Same(env.ComponentCatalog, MLNetBridge.GetEnvironment(catalog).ComponentCatalog);
        Assert.Same(ml, MLNetBridge.GetEnvironment(ml));
        Assert.Throws<ArgumentException>(() => MLNetBridge.GetEnvironment("not a catalog"));
    }

    [Fact]
    public void AppendColumnsReplacesSameName()
    {
        var a = MLNetBridge.CreateColumn("A", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
        var b = MLNetBridge.CreateColumn("B", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        var key = MLNetBridge.CreateColumn("A", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true);
        var shape = MLNetBridge.AppendColumns(new SchemaShape([a, b]), [key]);
        Assert.Equal(["B", "A"], shape.Select(c => c.Name).ToArray());
        Assert.True(shape[1].IsKey);
    }

    [Fact]
    public void IdentityIsValidated()
    {
        Assert.Throws<ArgumentException>(() => new ModelIdentity("SHORT", 1, 1, 1, "X").Validate());
        Assert.Throws<ArgumentException>(() => new ModelIdentity("EIGHTCHR", 1, 2, 1, "X").Validate());
        Assert.Throws<ArgumentException>(() => new ModelIdentity("EIGHTCHR", 1, 1, 1, new string('x', 25)).Validate());
        new ModelIdentity("EIGHTCHR", 1, 1, 1, "X").Validate();
    }

    [Fact]
    public void RegistrationIsIdempotentAndPerContext()
    {
        var ml = new MLContext(1);
        TransformsRegistration.Register(ml);
        TransformsRegistration.Register(ml);
        _ = ml.Transforms.BatchNormalize("X"); // the estimator registers too
        Parallel.For(0, 8, _ => TransformsRegistration.Register(new MLContext(1)));
    }
}
