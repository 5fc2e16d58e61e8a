using Microsoft.ML;
using Microsoft.ML.Data;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>SaveAtomic leaves the old model intact when saving fails half way; plain Model.Save does not.</summary>
public class AtomicSaveTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetbackprop-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Saving it throws after ML.NET has written the components before it into the zip.</summary>
    private sealed class ExplodesWhenSaved : ITransformer, ICanSaveModel
    {
        public bool IsRowToRowMapper => true;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
        public IDataView Transform(IDataView input) => input;
        public void Save(ModelSaveContext ctx) => throw new IOException("simulated failure while saving (disk full)");
    }

    private static (MLContext Ml, ITransformer Model, IDataView Data) Trained(int seed)
    {
        var ml = new MLContext(seed);
        var (x, y) = Iris();
        var data = FloatData(ml, x, y);
        var options = Regression(epochs: 2);
        options.Seed = seed;
        return (ml, ml.Regression.Trainers.Mlp(options).Fit(data), data);
    }

    [Fact]
    public void SaveAtomicWritesAndReplaces()
    {
        var (ml, model, data) = Trained(1);
        string path = Path.Combine(_folder, "model.zip");
        ml.Model.SaveAtomic(model, data.Schema, path);
        var first = File.ReadAllBytes(path);
        var (_, model2, _) = Trained(2);
        ml.Model.SaveAtomic(model2, data.Schema, path);
        Assert.NotEqual(first, File.ReadAllBytes(path));
        var loaded = new MLContext().RegisterBackprop().Model.Load(path, out _);
        Assert.Equal(model2.Transform(data).GetColumn<float>("Score").ToArray(), loaded.Transform(data).GetColumn<float>("Score").ToArray());
        Assert.Equal(["model.zip"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void FailureMidSaveLeavesTheOldFileIntactAndNoTempFile()
    {
        var (ml, model, data) = Trained(1);
        string path = Path.Combine(_folder, "model.zip");
        ml.Model.SaveAtomic(model, data.Schema, path);
        var old = File.ReadAllBytes(path);

        var (_, newer, _) = Trained(2);
        var failing = new TransformerChain<ITransformer>(newer, new ExplodesWhenSaved());
        var e = Record.Exception(() => ml.Model.SaveAtomic(failing, data.Schema, path));
        Assert.IsType<IOException>(Root(e!));
        Assert.Equal(old, File.ReadAllBytes(path)); // byte for byte
        Assert.Equal(["model.zip"], Directory.GetFiles(_folder).Select(Path.GetFileName)); // no temp file left
        Assert.NotNull(new MLContext().RegisterBackprop().Model.Load(path, out _));
    }

    [Fact]
    public void PlainModelSaveDestroysTheOldFileInTheSameSituation()
    {
        // Why SaveAtomic exists: ML.NET's Save(model, schema, path) truncates the destination before writing.
        var (ml, model, data) = Trained(1);
        string path = Path.Combine(_folder, "model.zip");
        ml.Model.Save(model, data.Schema, path);
        var old = File.ReadAllBytes(path);

        var (_, newer, _) = Trained(2);
        var failing = new TransformerChain<ITransformer>(newer, new ExplodesWhenSaved());
        Assert.IsType<IOException>(Root(Record.Exception(() => ml.Model.Save(failing, data.Schema, path))!));
        Assert.NotEqual(old, File.ReadAllBytes(path));
        Assert.NotNull(Record.Exception(() => new MLContext().RegisterBackprop().Model.Load(path, out _)));
    }
}
