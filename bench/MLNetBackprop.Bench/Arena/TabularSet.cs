using System.Globalization;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// One data set of the arena, held as the CSV's text lines (so each split part is parsed by ML.NET's own
/// TextLoader, exactly as a user's file would be) plus each row's label, which the stratified split needs.
/// </summary>
public sealed class TabularSet
{
    /// <summary>The six schema-less sets in the datasets folder (all numeric, label last).</summary>
    public static readonly string[] Classic = ["breast_cancer", "concrete", "diabetes", "digits", "iris", "wine"];

    public string Name { get; }
    public TabularSchema Schema { get; }
    public string Header { get; }
    public string[] Lines { get; }

    /// <summary>Class of each row (0..K-1) for classification; null for regression.</summary>
    public int[]? Classes { get; }
    public int ClassCount => Classes is null ? 0 : Classes.Max() + 1;
    public int Rows => Lines.Length;

    private TabularSet(string name, TabularSchema schema, string header, string[] lines, int[]? classes)
    {
        Name = name; Schema = schema; Header = header; Lines = lines; Classes = classes;
    }

    /// <summary>Every set found in <paramref name="dataDir"/>: the classic six, then each tabular/*.schema.</summary>
    public static IReadOnlyList<string> Available(string dataDir)
    {
        var classic = Classic.Where(n => File.Exists(Path.Combine(dataDir, n + ".csv")));
        var tabularDir = Path.Combine(dataDir, "tabular");
        IEnumerable<string> tabular = Directory.Exists(tabularDir)
            ? Directory.GetFiles(tabularDir, "*.schema").Select(Path.GetFileNameWithoutExtension).OfType<string>()
                .Where(n => File.Exists(Path.Combine(tabularDir, n + ".csv"))).Order(StringComparer.Ordinal)
            : [];
        return classic.Concat(tabular).ToList();
    }

    public static TabularSet Load(string dataDir, string name)
    {
        string tabularCsv = Path.Combine(dataDir, "tabular", name + ".csv");
        string csv = File.Exists(tabularCsv) ? tabularCsv : Path.Combine(dataDir, name + ".csv");
        if (!File.Exists(csv)) throw new FileNotFoundException($"data set '{name}' not found under {dataDir}", csv);
        string schemaPath = Path.ChangeExtension(csv, ".schema");

        var all = File.ReadAllLines(csv);
        string header = all[0];
        string[] columns = header.Split(',');
        var lines = all.Skip(1).Where(l => l.Length > 0).ToArray();
        foreach (var l in lines)
            if (l.Count(ch => ch == ',') != columns.Length - 1)
                throw new InvalidDataException($"{csv}: a row has a different number of fields than the header: '{l}'");
        var labelTexts = lines.Select(l => l[(l.LastIndexOf(',') + 1)..]).ToArray();

        var schema = File.Exists(schemaPath) ? TabularSchema.Parse(schemaPath, columns) : TabularSchema.Infer(columns, labelTexts);
        int[]? classes = null;
        if (schema.Task != ArenaTask.Regression)
        {
            classes = labelTexts.Select(t => int.Parse(t, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
            if (classes.Min() < 0) throw new InvalidDataException($"{csv}: negative class label");
            if (schema.Task == ArenaTask.Binary && classes.Max() > 1) throw new InvalidDataException($"{csv}: a binary label must be 0 or 1");
        }
        return new TabularSet(name, schema, header, lines, classes);
    }
}
