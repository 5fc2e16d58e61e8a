using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// Model files saved by earlier releases (Data/models/release-a590028, payload body version 2; release-2a8ed17, body
/// version 3; release-c14b47b, body version 4; see their READMEs) load in this build and score the first 40 rows of their data to the same bits the
/// release wrote down.
/// </summary>
public class OldModelFileTests
{
    private static string Fixture(string release, string file) => Path.Combine(AppContext.BaseDirectory, "Data", "models", release, file);

    [Theory]
    [InlineData("multiclass-batchnorm-dropout", "wine.csv", false)]
    [InlineData("binary", "breast_cancer.csv", true)]
    [InlineData("regression", "concrete.csv", false)]
    public void ReleaseA590028ModelsScoreTheSameBits(string name, string data, bool binaryLabel)
        => AssertScoresTheSameBits("release-a590028", name, data, binaryLabel);

    [Theory]
    [InlineData("multiclass-batchnorm-dropout", "wine.csv", false)]
    [InlineData("binary", "breast_cancer.csv", true)]
    [InlineData("regression", "concrete.csv", false)]
    [InlineData("binary-tabular-recipe", "breast_cancer.csv", true)]
    public void Release2a8ed17ModelsScoreTheSameBits(string name, string data, bool binaryLabel)
        => AssertScoresTheSameBits("release-2a8ed17", name, data, binaryLabel);

    [Theory]
    [InlineData("multiclass-batchnorm-dropout", "wine.csv", false)]
    [InlineData("binary", "breast_cancer.csv", true)]
    [InlineData("regression", "concrete.csv", false)]
    [InlineData("binary-tabular-recipe", "breast_cancer.csv", true)]
    public void ReleaseC14b47bModelsScoreTheSameBits(string name, string data, bool binaryLabel)
        => AssertScoresTheSameBits("release-c14b47b", name, data, binaryLabel);

    private static void AssertScoresTheSameBits(string release, string name, string data, bool binaryLabel)
    {
        var ml = new MLContext(7).RegisterBackprop();
        var (x, y) = Datasets.Load(data);
        var rows = Enumerable.Range(0, x.Length);
        var view = binaryLabel ? MLData.Bool(ml, x, y, rows) : MLData.Float(ml, x, y, rows);
        var model = ml.Model.Load(Fixture(release, name + ".zip"), out _);
        var scored = model.Transform(view);

        var lines = File.ReadAllLines(Fixture(release, name + ".scores.csv"));
        var columns = lines[0].Split(',');
        var expected = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(40, expected.Length);
        for (int c = 0; c < columns.Length; c++)
        {
            var column = scored.Schema[columns[c]];
            string[] actual = column.Type switch
            {
                VectorDataViewType => scored.GetColumn<float[]>(column).Take(40).Select(v => string.Join(" ", v.Select(Bits))).ToArray(),
                var t when t == NumberDataViewType.Single => scored.GetColumn<float>(column).Take(40).Select(Bits).ToArray(),
                var t when t == BooleanDataViewType.Instance => scored.GetColumn<bool>(column).Take(40).Select(b => b ? "1" : "0").ToArray(),
                _ => scored.GetColumn<uint>(column).Take(40).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray(),
            };
            for (int r = 0; r < 40; r++) Assert.True(expected[r][c] == actual[r], $"{name}: row {r}, column {columns[c]}: expected bits {expected[r][c]}, got {actual[r]}");
        }
    }

    private static string Bits(float v) => BitConverter.SingleToInt32Bits(v).ToString(CultureInfo.InvariantCulture);
}
