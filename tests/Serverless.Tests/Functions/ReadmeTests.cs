using System.Text.RegularExpressions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The README's first paragraph describes what exists: every API module of the app, and nothing its "Roadmap"
/// section lists as planned.
/// </summary>
public sealed partial class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(RepositoryPaths.Combine("README.md")).ReplaceLineEndings("\n");

    /// <summary>The text between the title and the first blank line after it.</summary>
    private static string FirstParagraph()
    {
        var afterTitle = Readme[(Readme.IndexOf('\n', StringComparison.Ordinal) + 1)..].TrimStart('\n');
        return afterTitle[..afterTitle.IndexOf("\n\n", StringComparison.Ordinal)].Replace('\n', ' ');
    }

    /// <summary>The items of the Roadmap's bullets (<c>- **Group**: item, item, item.</c>).</summary>
    private static List<string> PlannedItems()
    {
        var start = Readme.IndexOf("\n## Roadmap\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no '## Roadmap' section");
        var section = Readme[(start + 1)..];
        section = section[..section.IndexOf("\n## ", 1, StringComparison.Ordinal)];
        return RoadmapBullet().Matches(section)
            .SelectMany(m => m.Groups[1].Value.TrimEnd('.').Split(", ", StringSplitOptions.TrimEntries))
            .ToList();
    }

    [Fact]
    public void FirstParagraph_NamesNothingTheRoadmapPlans()
    {
        var planned = PlannedItems();
        var first = FirstParagraph();

        Assert.All(planned, item => Assert.DoesNotContain(item, first, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void FirstParagraph_NamesEveryApiModule()
    {
        // A module is a folder of src/Functions with operations (an *Endpoints.cs file) other than the service routes,
        // named in words (AgentState: "agent state").
        var modules = Directory.GetDirectories(RepositoryPaths.Combine("src", "Functions"))
            .Where(d => Directory.GetFiles(d, "*Endpoints.cs").Length > 0 && Path.GetFileName(d) is not ("Api" or "Hosting"))
            .Select(d => ModuleWords().Replace(Path.GetFileName(d), " $1").ToLowerInvariant())
            .ToList();
        var first = FirstParagraph();

        Assert.NotEmpty(modules);
        Assert.All(modules, module => Assert.Contains(module, first, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@"(?<=[a-z])([A-Z])")]
    private static partial Regex ModuleWords();

    [GeneratedRegex(@"^- \*\*[^*]+\*\*: (.+)$", RegexOptions.Multiline)]
    private static partial Regex RoadmapBullet();
}
