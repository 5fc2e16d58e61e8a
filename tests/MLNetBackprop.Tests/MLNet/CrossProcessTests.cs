using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetBackprop.Tests.MLNet;

public class CrossProcessTests
{
    [Fact]
    public async Task AnotherProcessLoadsTheModelAndScoresIdentically()
    {
        var ml = new MLContext(4);
        var (x, y) = Datasets.Load("wine.csv");
        var data = MLData.Float(ml, x, y, Enumerable.Range(0, y.Length));
        // The label mapping is training-only; the saved model needs nothing but the features.
        data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var model = ml.MulticlassClassification.Trainers.Mlp(new MlpMulticlassTrainer.Options { HiddenLayers = [16], Epochs = 20, BatchNorm = true }).Fit(data);
        var expected = model.Transform(data).GetColumn<float[]>("Score").ToArray();

        string dir = Directory.CreateTempSubdirectory("mlnetbackprop-xproc").FullName;
        try
        {
            string modelPath = Path.Combine(dir, "model.zip"), csv = Path.Combine(dir, "features.csv");
            ml.Model.Save(model, data.Schema, modelPath);
            File.WriteAllLines(csv, x.Select(r => string.Join(",", r.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));

            string consumer = Path.Combine(AppContext.BaseDirectory, "ConsumeModel.dll");
            Assert.True(File.Exists(consumer), $"{consumer} was not built with the tests");
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "exec", consumer, modelPath, csv }) psi.ArgumentList.Add(a);
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            string error = await stderr, output = await stdout;
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {error}");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(expected.Length, lines.Length);
            for (int i = 0; i < lines.Length; i++)
                Assert.Equal(expected[i], lines[i].Trim().Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
