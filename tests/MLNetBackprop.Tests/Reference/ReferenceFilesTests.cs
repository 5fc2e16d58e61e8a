using System.Globalization;
using System.Security.Cryptography;

namespace MLNetBackprop.Tests.Reference;

/// <summary>
/// The reference vectors the tests compare with are the ones generated (Data/reference/README.md): every JSON file there
/// is listed in SHA256SUMS, every listed file exists, and each hashes to its listed value — so an edited or truncated
/// reference file (a hand "fix" to make a test pass, a bad merge) fails here, naming the file.
/// </summary>
public class ReferenceFilesTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Data", "reference");

    [Fact]
    public void EveryReferenceFileMatchesItsSha256Sum()
    {
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(Path.Combine(Folder, "SHA256SUMS")).Where(l => l.Length > 0))
        {
            // sha256sum's format: 64 hex digits, two spaces (or space + '*'), the file name.
            var hash = line[..64];
            var name = line[66..];
            Assert.True(line[64] == ' ' && (line[65] == ' ' || line[65] == '*'), $"malformed line: {line}");
            Assert.Matches("^[0-9a-f]{64}$", hash);
            listed.Add(name, hash);
        }
        var present = Directory.GetFiles(Folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(present);
        Assert.Equal(present, listed.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, hash) in listed)
        {
            using var stream = File.OpenRead(Path.Combine(Folder, name));
            string actual = Convert.ToHexString(SHA256.HashData(stream)).ToLower(CultureInfo.InvariantCulture);
            Assert.True(actual == hash, $"{name}: SHA-256 {actual}, SHA256SUMS says {hash}");
        }
    }
}
