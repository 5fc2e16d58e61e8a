// Quickstart: an ordinary ML.NET pipeline that ends in an MLP trained by backpropagation.
// Trains on the digits data shipped in data/, prints per-epoch progress, why each network stopped and ML.NET's
// metrics on a held-out 25%, saves model.zip (the scoring part: features in, digit out), loads it in a fresh
// MLContext and prints a few predictions; it also exports the same model as ONNX. It also writes a features CSV that samples/ConsumeModel can score with it:
//   dotnet run --project samples/Quickstart -c Release
//   dotnet run --project samples/ConsumeModel -c Release -- <model.zip> <features.csv>   (both paths are printed)
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop;

var ml = new MLContext(seed: 1);
string csv = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv");
var data = ml.Data.LoadFromTextFile<Digit>(csv, separatorChar: ',', hasHeader: true);
var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: 1);

// The defaults are the tabular recipe (MlpPreset.Tabular): an ensemble of 4 small networks, each keeping its best
// epoch on its own fifth of the training rows. Only the progress printer is set here.
var options = new MlpMulticlassTrainer.Options
{
    Progress = new ConsoleProgress(),                   // called synchronously after every epoch of every network
};
// The label's MapValueToKey is fitted on its own, outside the pipeline that is saved: it is a training step (it reads
// the Label column, which an app scoring new rows does not have). The trainer keeps the label's key values, so the
// saved model still maps the predicted key back to the digit — it reads nothing but "Features".
var labelToKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(split.TrainSet);
var train = labelToKey.Transform(split.TrainSet);
var pipeline = ml.MulticlassClassification.Trainers.Mlp(options)
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));

Console.WriteLine("Training Mlp() with its defaults on digits: 4 networks of 64-[64, 64]-10…");
var model = pipeline.Fit(train);
// Each network held out its own fifth of the rows and kept its best epoch on them; say how each run ended.
var mlp = model.OfType<MlpMulticlassPredictionTransformer>().Single();
for (int i = 0; i < mlp.Model.MemberHistories.Count; i++)
    Console.WriteLine($"  network {i + 1}: {mlp.Model.MemberHistories[i].StopReason}");
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(labelToKey.Transform(split.TestSet)));
Console.WriteLine($"Held-out accuracy: micro {metrics.MicroAccuracy:P2}, macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}");

string path = Path.Combine(Path.GetTempPath(), "mlnetbackprop-quickstart-model.zip");
ml.Model.Save(model, train.Schema, path);
Console.WriteLine($"Saved {path} ({new FileInfo(path).Length / 1024} KB)");
// A features-only CSV for samples/ConsumeModel (one row of 64 comma-separated pixels per line).
string featuresCsv = Path.Combine(Path.GetTempPath(), "mlnetbackprop-quickstart-features.csv");
File.WriteAllLines(featuresCsv, ml.Data.CreateEnumerable<Digit>(split.TestSet, reuseRowObject: false).Take(8)
    .Select(d => string.Join(",", d.Features.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
Console.WriteLine($"Score it from another app: dotnet run --project samples/ConsumeModel -c Release -- {path} {featuresCsv}");
// The same scoring part as ONNX, for ONNX Runtime anywhere (or ML.NET's ApplyOnnxModel): README, "ONNX export".
string onnx = Path.ChangeExtension(path, ".onnx");
ml.Model.ExportToOnnx(model, train, onnx, "Score", "PredictedDigit");
Console.WriteLine($"Exported {onnx} ({new FileInfo(onnx).Length / 1024} KB): input Features, outputs Score.output, PredictedDigit.output");

// A consuming app: a fresh MLContext, one registration line, then the ordinary Load.
var consumer = new MLContext().RegisterBackprop();
var loaded = consumer.Model.Load(path, out _);
var engine = consumer.Model.CreatePredictionEngine<DigitFeatures, Prediction>(loaded);   // input: the features only
foreach (var digit in consumer.Data.CreateEnumerable<Digit>(split.TestSet, reuseRowObject: false).Take(8))
{
    var p = engine.Predict(new DigitFeatures { Features = digit.Features });
    Console.WriteLine($"  true {digit.Label}  predicted {p.PredictedDigit}  confidence {p.Score.Max():P1}");
}

/// <summary>
/// Prints every 16th epoch of each network, on the training thread (System.Progress would post them asynchronously).
/// The networks train two at a time on two cores; their reports arrive one at a time.
/// </summary>
sealed class ConsoleProgress : IProgress<EpochReport>
{
    public void Report(EpochReport e)
    {
        if (e.Epoch % 16 != 0) return;
        Console.WriteLine($"  network {e.Member + 1} epoch {e.Epoch,3}: train loss {e.TrainLoss:F4}  validation loss {e.ValidationLoss:F4}  lr {e.LearningRate:E2}  ({e.Elapsed.TotalSeconds:F2}s)");
    }
}

/// <summary>One row of digits.csv: 64 pixel intensities (0–16) and the digit.</summary>
public sealed class Digit
{
    [LoadColumn(0, 63), VectorType(64), ColumnName("Features")]
    public float[] Features { get; set; } = [];

    [LoadColumn(64)]
    public float Label { get; set; }
}

/// <summary>What a scoring app has for one row: the 64 pixels, no label.</summary>
public sealed class DigitFeatures
{
    [VectorType(64)]
    public float[] Features { get; set; } = [];
}

/// <summary>What the model returns for one row.</summary>
public sealed class Prediction
{
    public float PredictedDigit { get; set; }
    public float[] Score { get; set; } = [];
}
