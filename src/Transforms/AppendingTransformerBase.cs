using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetBackprop.Internals;

namespace MLNetBackprop;

/// <summary>
/// Base of MLNetBackprop's transformers that append computed columns to their input, lazily: rows are computed
/// only when a cursor or row asks for an appended column. Cannot be derived from outside MLNetBackprop.
/// </summary>
/// <remarks>
/// A derived transformer supplies <c>Bind(DataViewSchema)</c>, returning an <see cref="AppendingMapper"/> that
/// validates the input schema and says which input columns it reads, which columns it adds and how to compute them,
/// plus <c>SaveModel(ModelSaveContext)</c>. The base provides <see cref="Transform"/>, <see cref="GetOutputSchema"/>
/// and <see cref="GetRowToRowMapper"/> (so <c>CreatePredictionEngine</c> works), cursor sets, row counts, and
/// active-column filtering. An appended column with the name of an input column hides it (the input stays
/// reachable by index, as everywhere in ML.NET).
/// </remarks>
public abstract class AppendingTransformerBase : ITransformer, ICanSaveModel
{
    private protected AppendingTransformerBase(IHostEnvironment env, string registrationName)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrEmpty(registrationName);
        Host = env.Register(registrationName);
    }

    /// <summary>Host registered in the environment that created (or loaded) this transformer.</summary>
    private protected IHost Host { get; }

    /// <summary>
    /// Validates <paramref name="inputSchema"/> and binds to it. Schema errors should throw
    /// <see cref="ArgumentOutOfRangeException"/> (param name "inputSchema") naming the column and the expected type.
    /// </summary>
    private protected abstract AppendingMapper Bind(DataViewSchema inputSchema);

    /// <summary>Writes this transformer (typically <see cref="MLNetBridge.SaveModel"/> with a <see cref="PayloadWriter"/>).</summary>
    private protected abstract void SaveModel(ModelSaveContext ctx);

    /// <summary>Always <see langword="true"/>: every row is mapped independently.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema followed by the appended columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column this transformer reads is missing or has the wrong type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new BoundAppending(Bind(inputSchema)).OutputSchema;
    }

    /// <summary>A lazy view of <paramref name="input"/> with the appended columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column this transformer reads is missing or has the wrong type.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new AppendedDataView(input, new BoundAppending(Bind(input.Schema)));
    }

    /// <summary>A row-to-row mapper bound to <paramref name="inputSchema"/> (used by prediction engines).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new AppendingRowToRowMapper(new BoundAppending(Bind(inputSchema)));
    }

    /// <summary>Saves this transformer into an ML.NET model (called by <c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        SaveModel(ctx);
    }
}
