using MLNetBackprop.Internals;
using System.Runtime.Versioning;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop.Engine;
using static MLNetBackprop.Tests.Hardening.HardeningData;

namespace MLNetBackprop.Tests.Hardening;

/// <summary>
/// Issue 11 items 6 and 7: a save or checkpoint write killed mid-way leaves nothing that outlives the next write to the
/// same target (its own staging folder and ML.NET's <c>ml_dotnet_*</c> scratch inside it), a private model stays
/// private, and a symlinked target stays a symlink. The kills are simulated by building exactly what a killed writer
/// leaves behind: its staging folder with a released lock, a partial file and ML.NET's scratch folder.
/// </summary>
/// <remarks>Unix permission bits and symlinks are what is tested, so these tests run on Unix (CI is Linux).</remarks>
[UnsupportedOSPlatform("windows")]
public class AtomicFileTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetbackprop-atomicfile-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (MLContext Ml, ITransformer Model, IDataView Data) Trained(int seed)
    {
        var ml = new MLContext(seed);
        var (x, y) = Iris();
        var data = FloatData(ml, x, y);
        var options = Regression(epochs: 1);
        options.Seed = seed;
        return (ml, ml.Regression.Trainers.Mlp(options).Fit(data), data);
    }

    /// <summary>What a writer killed mid-save leaves: its staging folder (lock released by the kernel), a partial model, ML.NET's scratch.</summary>
    private string KilledWriterLeftovers(string name, int partialBytes = 1 << 20)
    {
        string staging = Path.Combine(_folder, $".{name}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        File.WriteAllBytes(Path.Combine(staging, ".lock"), []);
        File.WriteAllBytes(Path.Combine(staging, name), new byte[partialBytes]);
        string scratch = Directory.CreateDirectory(Path.Combine(staging, "ml_dotnet_k1ll3d")).FullName;
        File.WriteAllBytes(Path.Combine(scratch, "Model.key"), new byte[partialBytes]);
        return staging;
    }

    private string[] Entries() => Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName).Order().ToArray()!;

    [Fact]
    public void TheNextSaveRemovesWhatKilledSavesLeftAndSparesALiveOne()
    {
        var (ml, model, data) = Trained(1);
        string path = Path.Combine(_folder, "model.zip");
        ml.Model.SaveAtomic(model, data.Schema, path);

        var dead = Enumerable.Range(0, 3).Select(_ => KilledWriterLeftovers("model.zip")).ToList();
        // The single temporary file the previous release wrote, left by a kill.
        string oldStyle = Path.Combine(_folder, $".model.zip.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(oldStyle, new byte[4096]);
        // A staging folder whose writer died before taking its lock, an hour ago.
        string unlockedOld = Path.Combine(_folder, $".model.zip.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(unlockedOld);
        Directory.SetLastWriteTimeUtc(unlockedOld, DateTime.UtcNow.AddHours(-1));
        // A writer that is alive right now: it holds its lock, so its folder must survive.
        string live = KilledWriterLeftovers("model.zip", 16);
        using var liveLock = new FileStream(Path.Combine(live, ".lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        // Another model's leftovers and a user's own file with a similar name are not ours to touch.
        string otherModel = KilledWriterLeftovers("other.zip", 16);
        string usersFile = Path.Combine(_folder, "model.zip.backup.tmp");
        File.WriteAllBytes(usersFile, [1, 2, 3]);

        var (_, model2, _) = Trained(2);
        ml.Model.SaveAtomic(model2, data.Schema, path);

        Assert.All(dead, d => Assert.False(Directory.Exists(d), d));
        Assert.False(File.Exists(oldStyle));
        Assert.False(Directory.Exists(unlockedOld));
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(otherModel));
        Assert.True(File.Exists(usersFile));
        Assert.Equal(new[] { Path.GetFileName(live), Path.GetFileName(otherModel), "model.zip", "model.zip.backup.tmp" }.Order(), Entries());
        var loaded = new MLContext().RegisterBackprop().Model.Load(path, out _);
        Assert.Equal(model2.Transform(data).GetColumn<float>("Score").ToArray(), loaded.Transform(data).GetColumn<float>("Score").ToArray());
    }

    /// <summary>Records, while ML.NET saves it, where ML.NET's scratch folders are and who may read the staging folder.</summary>
    private sealed class LooksAroundWhenSaved(string folder) : ITransformer, ICanSaveModel
    {
        public string[] Scratch { get; private set; } = [];
        public UnixFileMode StagingMode { get; private set; }
        public bool IsRowToRowMapper => true;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
        public IDataView Transform(IDataView input) => input;

        public void Save(ModelSaveContext ctx)
        {
            Scratch = Directory.GetDirectories(folder, "ml_dotnet_*", SearchOption.AllDirectories);
            StagingMode = File.GetUnixFileMode(Directory.GetDirectories(folder, ".model.zip.*.tmp").Single());
            throw new IOException("simulated crash after ML.NET staged its entries");
        }
    }

    [Fact]
    public void MLNetStagesItsScratchFilesInsideOurPrivateStagingFolder()
    {
        var (ml, model, data) = Trained(1);
        string path = Path.Combine(_folder, "model.zip");
        var spy = new LooksAroundWhenSaved(_folder);
        Assert.ThrowsAny<Exception>(() => ml.Model.SaveAtomic(new TransformerChain<ITransformer>(model, spy), data.Schema, path));

        var scratch = Assert.Single(spy.Scratch);
        Assert.StartsWith(Path.Combine(_folder, ".model.zip."), scratch);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, spy.StagingMode);
        Assert.Empty(Entries()); // the failed save removed its staging folder, ML.NET's scratch with it
    }

    [Fact]
    public void APrivateModelStaysPrivateAndANewOneGetsTheUsualMode()
    {
        var (ml, model, data) = Trained(1);
        string path = Path.Combine(_folder, "model.zip");
        ml.Model.SaveAtomic(model, data.Schema, path);
        var usual = File.GetUnixFileMode(path);
        File.WriteAllBytes(Path.Combine(_folder, "plain"), []);
        Assert.Equal(File.GetUnixFileMode(Path.Combine(_folder, "plain")), usual); // as File.Create would make it

        File.SetUnixFileMode(path, Private);
        ml.Model.SaveAtomic(Trained(2).Model, data.Schema, path);
        Assert.Equal(Private, File.GetUnixFileMode(path));

        var groupReadable = Private | UnixFileMode.GroupRead;
        File.SetUnixFileMode(path, groupReadable);
        ml.Model.SaveAtomic(model, data.Schema, path);
        Assert.Equal(groupReadable, File.GetUnixFileMode(path));
    }

    [Fact]
    public void ASymlinkedTargetIsWrittenThroughAndStaysALink()
    {
        var (ml, model, data) = Trained(1);
        string realFolder = Directory.CreateDirectory(Path.Combine(_folder, "releases")).FullName;
        string real = Path.Combine(realFolder, "v1.zip");
        ml.Model.SaveAtomic(model, data.Schema, real);
        File.SetUnixFileMode(real, Private);
        string link = Path.Combine(_folder, "current.zip");
        File.CreateSymbolicLink(link, real);

        var (_, model2, _) = Trained(2);
        ml.Model.SaveAtomic(model2, data.Schema, link);

        Assert.Equal(real, new FileInfo(link).LinkTarget);
        Assert.Null(new FileInfo(real).LinkTarget);
        Assert.Equal(Private, File.GetUnixFileMode(real));
        var loaded = new MLContext().RegisterBackprop().Model.Load(real, out _);
        Assert.Equal(model2.Transform(data).GetColumn<float>("Score").ToArray(), loaded.Transform(data).GetColumn<float>("Score").ToArray());
        Assert.Equal(["v1.zip"], Directory.GetFileSystemEntries(realFolder).Select(Path.GetFileName));

        // A link whose target does not exist yet: the file is created where the link points.
        string dangling = Path.Combine(_folder, "next.zip");
        string future = Path.Combine(realFolder, "v2.zip");
        File.CreateSymbolicLink(dangling, future);
        ml.Model.SaveAtomic(model, data.Schema, dangling);
        Assert.True(File.Exists(future));
        Assert.Equal(future, new FileInfo(dangling).LinkTarget);
    }

    [Fact]
    public void CheckpointWritesFollowTheSameRules()
    {
        string path = Path.Combine(_folder, "run.ckpt");
        // A killed checkpoint write of the previous release left its temporary file beside the target.
        string oldStyle = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(oldStyle, new byte[4096]);
        var dead = KilledWriterLeftovers("run.ckpt");

        CheckpointFile.WriteAtomically(path, [1, 2, 3]);
        File.SetUnixFileMode(path, Private);
        CheckpointFile.WriteAtomically(path, [4, 5]);

        Assert.False(File.Exists(oldStyle));
        Assert.False(Directory.Exists(dead));
        Assert.Equal(["run.ckpt"], Entries());
        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
        Assert.Equal(Private, File.GetUnixFileMode(path));
    }

    [Fact]
    public void AWriteThatFailsLeavesTheOldFileAndNoStaging()
    {
        string path = Path.Combine(_folder, "data.bin");
        AtomicFile.Write(path, [1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, (stream, _) =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("writer failed");
        }));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["data.bin"], Entries());
    }
}
