using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

/// <summary>
/// Model files saved by an earlier release (Data/models/release-a590028, payload body version 2; see its README) load
/// in this build and score the first 40 rows of their data to the same bits the release wrote down.
/// </summary>
public class OldModelFileTests
{
    private static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Data", "models", "release-a590028", file);

    [Theory]
    [InlineData("multiclass-batchnorm-dropout", "wine.csv", false)]
    [InlineData("binary", "breast_cancer.csv", true)]
    [InlineData("regression", "concrete.csv", false)]
    public void ReleaseA590028ModelsScoreTheSameBits(string name, string data, bool binaryLabel)
    {
        var ml = new MLContext(7).RegisterBackprop();
        var (x, y) = Datasets.Load(data);
        var rows = Enumerable.Range(0, x.Length);
        var view = binaryLabel ? MLData.Bool(ml, x, y, rows) : MLData.Float(ml, x, y, rows);
        var model = ml.Model.Load(Fixture(name + ".zip"), out _);
        var scored = model.Transform(view);

        var lines = File.ReadAllLines(Fixture(name + ".scores.csv"));
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
