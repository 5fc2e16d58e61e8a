namespace MLNetBackprop.Bench.Arena;

/// <summary>Kind of a column in a <c>&lt;name&gt;.schema</c> file.</summary>
public enum ColumnKind { Numeric, Categorical, Label }

/// <summary>One column of a data set: its name in the CSV header, its position and its kind.</summary>
public sealed record TabularColumn(string Name, int Index, ColumnKind Kind);

/// <summary>
/// The columns of a data set and its task. Read from <c>&lt;name&gt;.schema</c> (one line per column, <c>name,kind</c>
/// with kind num | cat | label-binary | label-multi | target), or inferred for a schema-less CSV: every column
/// numeric, the last one the label — <c>target</c> means regression, otherwise classification (binary when the
/// label has two distinct values).
/// </summary>
public sealed class TabularSchema
{
    public IReadOnlyList<TabularColumn> Columns { get; }
    public ArenaTask Task { get; }
    public TabularColumn Label => Columns[^1];
    public IEnumerable<TabularColumn> Numeric => Columns.Where(c => c.Kind == ColumnKind.Numeric);
    public IEnumerable<TabularColumn> Categorical => Columns.Where(c => c.Kind == ColumnKind.Categorical);

    private TabularSchema(IReadOnlyList<TabularColumn> columns, ArenaTask task)
    {
        if (columns.Count < 2 || columns[^1].Kind != ColumnKind.Label || columns.Take(columns.Count - 1).Any(c => c.Kind == ColumnKind.Label))
            throw new InvalidDataException("a schema needs feature columns and exactly one label column, the last one");
        Columns = columns;
        Task = task;
    }

    /// <summary>Parses a .schema file and checks it against the CSV header.</summary>
    public static TabularSchema Parse(string schemaPath, string[] header)
    {
        var columns = new List<TabularColumn>();
        ArenaTask? task = null;
        foreach (var raw in File.ReadAllLines(schemaPath))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            int comma = line.LastIndexOf(',');
            if (comma <= 0) throw new InvalidDataException($"{schemaPath}: bad line '{line}'");
            string name = line[..comma], kind = line[(comma + 1)..];
            ColumnKind k;
            switch (kind)
            {
                case "num": k = ColumnKind.Numeric; break;
                case "cat": k = ColumnKind.Categorical; break;
                case "label-binary": k = ColumnKind.Label; task = ArenaTask.Binary; break;
                case "label-multi": k = ColumnKind.Label; task = ArenaTask.Multiclass; break;
                case "target": k = ColumnKind.Label; task = ArenaTask.Regression; break;
                default: throw new InvalidDataException($"{schemaPath}: unknown kind '{kind}' of column '{name}'");
            }
            columns.Add(new TabularColumn(name, columns.Count, k));
        }
        if (!columns.Select(c => c.Name).SequenceEqual(header))
            throw new InvalidDataException($"{schemaPath}: the columns do not match the CSV header");
        return new TabularSchema(columns, task ?? throw new InvalidDataException($"{schemaPath}: no label column"));
    }

    /// <summary>Schema-less CSV: all numeric, last column the label; <paramref name="labelValues"/> decides binary vs multiclass.</summary>
    public static TabularSchema Infer(string[] header, IEnumerable<string> labelValues)
    {
        var columns = header.Select((name, i) => new TabularColumn(name, i, i == header.Length - 1 ? ColumnKind.Label : ColumnKind.Numeric)).ToList();
        ArenaTask task = header[^1] == "target" ? ArenaTask.Regression
            : labelValues.Distinct().Count() == 2 ? ArenaTask.Binary : ArenaTask.Multiclass;
        return new TabularSchema(columns, task);
    }
}
