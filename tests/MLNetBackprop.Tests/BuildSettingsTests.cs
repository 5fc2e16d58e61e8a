using System.Xml.Linq;

namespace MLNetBackprop.Tests;

/// <summary>
/// The library's strict build settings are scoped to src/ (and tests/), so a project created elsewhere in the repository
/// (a sample, a user's app) builds without warnings-as-errors or missing-XML-doc errors (issue 12 item D3).
/// </summary>
public class BuildSettingsTests
{
    private static Dictionary<string, string> Properties(XDocument props) =>
        props.Descendants("PropertyGroup").Elements().GroupBy(e => e.Name.LocalName).ToDictionary(g => g.Key, g => g.Last().Value.Trim());

    [Fact]
    public void StrictSettingsApplyToSrcAndTestsOnly()
    {
        string root = RepositoryRoot.Path;
        var rootProps = Properties(XDocument.Load(Path.Combine(root, "Directory.Build.props")));
        Assert.False(rootProps.ContainsKey("TreatWarningsAsErrors"), "the root Directory.Build.props must not make every project's warnings errors");
        Assert.False(rootProps.ContainsKey("GenerateDocumentationFile"), "the root Directory.Build.props must not require XML docs of every project");

        foreach (var (folder, docs) in new[] { ("src", true), ("tests", false) })
        {
            var doc = XDocument.Load(Path.Combine(root, folder, "Directory.Build.props"));
            var import = Assert.Single(doc.Root!.Elements("Import"));
            Assert.Contains("GetPathOfFileAbove('Directory.Build.props'", import.Attribute("Project")!.Value); // the root's settings first
            var props = Properties(doc);
            Assert.Equal("true", props["TreatWarningsAsErrors"]);
            if (docs) Assert.Equal("true", props["GenerateDocumentationFile"]);
        }
    }
}
