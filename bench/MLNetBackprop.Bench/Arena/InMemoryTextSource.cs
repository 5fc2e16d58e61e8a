using System.Text;
using Microsoft.ML.Data;

namespace MLNetBackprop.Bench.Arena;

/// <summary>
/// A CSV held in memory — the header and a chosen subset of the rows, in the given order — as an
/// <see cref="IMultiStreamSource"/>, so ML.NET's TextLoader parses each split part exactly as it parses a file.
/// </summary>
public sealed class InMemoryTextSource : IMultiStreamSource
{
    private readonly string _text;

    public InMemoryTextSource(string header, string[] lines, IEnumerable<int> rows)
    {
        var sb = new StringBuilder(header.Length + 64 * lines.Length);
        sb.Append(header).Append('\n');
        foreach (int r in rows) sb.Append(lines[r]).Append('\n');
        _text = sb.ToString();
    }

    public int Count => 1;
    public string? GetPathOrNull(int index) => null;
    public Stream Open(int index) => new MemoryStream(Encoding.UTF8.GetBytes(_text), writable: false);
    public TextReader OpenTextReader(int index) => new StringReader(_text);
}
