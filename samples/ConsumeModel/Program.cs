// An existing app that only consumes a model: it loads model.zip and scores rows, nothing else.
// Usage: ConsumeModel <model.zip> <features.csv>   (CSV: one row of comma-separated features per line)
// Prints one line per row: the Score column's values, round-trip formatted.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length != 2)
{
    Console.Error.WriteLine("Usage: ConsumeModel <model.zip> <features.csv>");
    return 2;
}

var ml = new MLContext();
ml.RegisterBackprop();                                   // the one line a consuming app adds before Load (namespace Microsoft.ML)
var model = ml.Model.Load(args[0], out var inputSchema);

var rows = File.ReadLines(args[1]).Where(l => l.Length > 0)
    .Select(l => new Row { Features = l.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray() })
    .ToList();
int width = rows[0].Features.Length;
var schema = SchemaDefinition.Create(typeof(Row));
schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
var scored = model.Transform(ml.Data.LoadFromEnumerable(rows, schema));
var scoreColumn = scored.Schema["Score"];
if (scoreColumn.Type is VectorDataViewType)
    foreach (var s in scored.GetColumn<float[]>(scoreColumn))
        Console.WriteLine(string.Join(",", s.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
else
    foreach (var s in scored.GetColumn<float>(scoreColumn))
        Console.WriteLine(s.ToString("R", CultureInfo.InvariantCulture));
return 0;

/// <summary>An input row: the feature vector.</summary>
public sealed class Row
{
    public float[] Features { get; set; } = [];
}
