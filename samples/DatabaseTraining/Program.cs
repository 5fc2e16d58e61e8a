// DatabaseTraining: train Mlp() from a PostgreSQL table through ML.NET's DatabaseLoader (Npgsql), streamed under
// MemoryBudgetMegabytes, so the rows are read by a query on every pass instead of being loaded into memory.
//   1. The training rows are a query (WHERE id % 10 <> 0 ORDER BY id), the held-out rows another (id % 10 = 0).
//   2. The provider factory is wrapped in a counting decorator: ML.NET's DatabaseLoader opens one connection per
//      cursor, so the count is the number of queries the trainer ran.
//   3. Prints the time and the queries of each epoch, the peak working set and the bytes allocated during Fit, and
//      ML.NET's metrics on the held-out query.
// Usage: samples/DatabaseTraining/run-postgres.sh [rows]       (starts a throwaway PostgreSQL, creates the table, runs this)
//        dotnet run --project samples/DatabaseTraining -c Release -- --connection "Host=...;Database=...;Username=..."
//               [--table samples] [--epochs 3] [--budget 16]        (--budget 0: no budget, the rows are loaded into memory)
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetBackprop;
using Npgsql;

string? connection = null, table = "samples";
int epochs = 3, budget = 16;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--connection": connection = args[i + 1]; break;
        case "--table": table = args[i + 1]; break;
        case "--epochs": epochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--budget": budget = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"Unknown option {args[i]}"); return 2;
    }
}
if (connection is null)
{
    Console.WriteLine("""
        DatabaseTraining trains Mlp() from a PostgreSQL table through ML.NET's DatabaseLoader, streamed.
        It needs a database. The script starts a throwaway PostgreSQL server (installing Debian's postgresql if
        missing), creates a table of 1,000,000 rows (or the number given), runs this sample and stops the server:

            samples/DatabaseTraining/run-postgres.sh [rows]

        Or point it at a table of your own (columns id bigint, x1 … x8 real, label boolean):

            dotnet run --project samples/DatabaseTraining -c Release -- --connection "Host=...;Database=...;Username=..." [--table samples] [--epochs 3] [--budget 16]
        """);
    return 0;
}
if (!System.Text.RegularExpressions.Regex.IsMatch(table, "^[A-Za-z_][A-Za-z0-9_]*$"))
{
    Console.Error.WriteLine($"--table must be a plain identifier, not '{table}'.");
    return 2;
}

const int Features = 8;
string columns = string.Join(", ", Enumerable.Range(1, Features).Select(k => $"x{k}"));
string trainQuery = $"SELECT {columns}, label FROM {table} WHERE id % 10 <> 0 ORDER BY id";
string holdoutQuery = $"SELECT {columns}, label FROM {table} WHERE id % 10 = 0 ORDER BY id";

string version;
long rows, trainRows;
await using (var db = new NpgsqlConnection(connection))
{
    await db.OpenAsync();
    await using var command = new NpgsqlCommand($"SELECT version(), count(*), count(*) FILTER (WHERE id % 10 <> 0) FROM {table}", db);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    (version, rows, trainRows) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
}
Console.WriteLine($"{version.Split(" on ")[0]}; table {table}: {rows:N0} rows, {trainRows:N0} to train on, {rows - trainRows:N0} held out (id % 10 = 0)");
Console.WriteLine($"Training query: {trainQuery}");

var ml = new MLContext(seed: 1);
var factory = new CountingFactory(NpgsqlFactory.Instance);
var loader = ml.Data.CreateDatabaseLoader<TableRow>();
IDataView train = loader.Load(new DatabaseSource(factory, connection, trainQuery));
IDataView holdout = loader.Load(new DatabaseSource(NpgsqlFactory.Instance, connection, holdoutQuery));

// What one pass of the query costs by itself: the rows through the loader's cursor, nothing trained.
var clock = Stopwatch.StartNew();
long passRows = 0;
using (var cursor = train.GetRowCursor(train.Schema))
{
    var features = cursor.GetGetter<VBuffer<float>>(train.Schema["Features"]);
    var label = cursor.GetGetter<bool>(train.Schema["Label"]);
    VBuffer<float> x = default;
    bool y = false;
    while (cursor.MoveNext()) { features(ref x); label(ref y); passRows++; }
}
double passSeconds = clock.Elapsed.TotalSeconds;
double dataMegabytes = trainRows * (Features + 2) * 4.0 / 1e6;
Console.WriteLine($"One pass of the query through the DatabaseLoader: {passRows:N0} rows in {passSeconds:F2} s ({passRows / passSeconds / 1e6:F2} M rows/s)");
Console.WriteLine($"In memory the training rows take {dataMegabytes:F0} MB as floats (rows × (features + label + weight) × 4 bytes); " +
                  (budget > 0 ? $"the budget is {budget} MB." : "no budget (--budget 0): they are loaded."));
Console.WriteLine();

var progress = new EpochTable(factory);
ml.Log += (_, e) =>
{
    if (!e.Message.Contains("training rows", StringComparison.Ordinal)) return;
    progress.Start(streamed: e.Message.Contains("streamed:", StringComparison.Ordinal));
    Console.WriteLine($"  {e.Message[(e.Message.IndexOf("] ", StringComparison.Ordinal) + 2)..]}"); // without ML.NET's [Source=…] prefix
};
var options = new MlpBinaryTrainer.Options           // the tabular recipe, with what a big table needs said explicitly:
{
    Epochs = epochs,                                 // automatic epochs would be 16 or more on a million rows
    EnsembleSize = 1,                                // streamed networks train one after the other: 1 network, 1× the passes
    ValidationFraction = 0.1f,                       // a seeded hash of the row's position, held out on every pass alike
    MemoryBudgetMegabytes = budget > 0 ? budget : null, // stream: the rows are read by the query on every pass (0: load them)
    Progress = progress,
};
int startQueries = progress.FitStart = factory.Connections;
long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
clock.Restart();
Console.WriteLine($"Fit: Mlp, {epochs} epochs, MemoryBudgetMegabytes = {(budget > 0 ? budget.ToString(CultureInfo.InvariantCulture) : "null")}");
var model = ml.BinaryClassification.Trainers.Mlp(options).Fit(train);
double fitSeconds = clock.Elapsed.TotalSeconds;
long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
int fitQueries = factory.Connections - startQueries;
using var self = Process.GetCurrentProcess();
self.Refresh();
string setup = progress.Streamed ? "the row count, the statistics, the validation rows' count" : budget > 0 ? "the row count, then the load: the data fits the budget" : "the load";
Console.WriteLine($"  before the first epoch: {progress.SetupQueries} queries ({setup})");
Console.WriteLine($"  Fit: {fitSeconds:F1} s, {fitQueries} queries in all; best epoch {model.History.BestEpoch}");
Console.WriteLine($"Memory: peak working set {self.PeakWorkingSet64 / 1e6:F0} MB; allocated during Fit {allocated / 1e6:F1} MB; " +
                  $"managed heap now {GC.GetTotalMemory(forceFullCollection: true) / 1e6:F1} MB");

clock.Restart();
var metrics = ml.BinaryClassification.Evaluate(model.Transform(holdout));
Console.WriteLine($"Held out (id % 10 = 0): AUC {metrics.AreaUnderRocCurve:F4}, accuracy {metrics.Accuracy:F4}, F1 {metrics.F1Score:F4}, " +
                  $"log-loss {metrics.LogLoss:F4} ({clock.Elapsed.TotalSeconds:F1} s to score)");
return 0;

/// <summary>A row of the queries: ordinals 0–7 are the features x1 … x8, ordinal 8 the label.</summary>
public sealed class TableRow
{
    [LoadColumn(0, 7), VectorType(8)]
    public float[] Features { get; set; } = [];

    [LoadColumn(8)]
    public bool Label { get; set; }
}

/// <summary>
/// A provider factory that counts the connections created through it. ML.NET's DatabaseLoader creates one connection
/// (and runs its query once) per cursor, so this counts the queries; Npgsql's pool keeps the physical connections.
/// </summary>
public sealed class CountingFactory(DbProviderFactory inner) : DbProviderFactory
{
    private int _connections;

    public int Connections => Volatile.Read(ref _connections);

    public override DbConnection? CreateConnection()
    {
        Interlocked.Increment(ref _connections);
        return inner.CreateConnection();
    }
}

/// <summary>Prints each epoch as it ends: losses, its time and the queries it ran.</summary>
public sealed class EpochTable(CountingFactory factory) : IProgress<EpochReport>
{
    private readonly Stopwatch _clock = new();
    private int _queries;

    /// <summary>The factory's count when Fit was called.</summary>
    public int FitStart { get; set; }

    /// <summary>Queries Fit ran before its first epoch.</summary>
    public int SetupQueries { get; private set; }

    /// <summary>Whether the trainer streams (its plan says so).</summary>
    public bool Streamed { get; private set; }

    /// <summary>Called when the trainer logs its plan, right before the first epoch.</summary>
    public void Start(bool streamed)
    {
        Streamed = streamed;
        _queries = factory.Connections;
        SetupQueries = _queries - FitStart;
        _clock.Restart();
    }

    public void Report(EpochReport r)
    {
        int now = factory.Connections;
        Console.WriteLine($"  epoch {r.Epoch}: train loss {r.TrainLoss:F4}, validation loss {r.ValidationLoss:F4}; " +
                          $"{_clock.Elapsed.TotalSeconds:F1} s, {now - _queries} queries");
        _queries = now;
        _clock.Restart();
    }
}
