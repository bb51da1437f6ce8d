using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Bundles;

namespace Serverless.Cli.Importers;

/// <summary>
/// The members of the line types the format library parses (<see cref="ThreadLine"/>, <see cref="MessageLine"/>,
/// <see cref="SummaryLine"/>, <see cref="SettingLine"/>, <see cref="MissionLine"/>): the library's strict parsing wants
/// every member present (absent optional members as <c>null</c>), so lines of those kinds are completed with nulls,
/// in the library's member order.
/// </summary>
internal static class LineShapes
{
    private static readonly Dictionary<string, string[]> Members = new(StringComparer.Ordinal)
    {
        [BundleKinds.Thread] = MembersOf<ThreadLine>(),
        [BundleKinds.Message] = MembersOf<MessageLine>(),
        [BundleKinds.Summary] = MembersOf<SummaryLine>(),
        [BundleKinds.Setting] = MembersOf<SettingLine>(),
        [BundleKinds.Mission] = MembersOf<MissionLine>(),
    };

    /// <summary>Adds the missing members of <paramref name="kind"/>'s line type as null, and fails on one it does not have.</summary>
    public static void Complete(string kind, JsonObject line)
    {
        if (!Members.TryGetValue(kind, out var members))
        {
            return;
        }

        var unknown = line.Select(p => p.Key).Except(members, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"A {kind} line has member(s) the bundle format does not: {string.Join(", ", unknown)}.");
        }

        var values = members.Select(m => (m, line[m]?.DeepClone())).ToList();
        line.Clear();
        foreach (var (member, value) in values)
        {
            line[member] = value;
        }
    }

    private static string[] MembersOf<T>() =>
        typeof(T).GetConstructors(BindingFlags.Public | BindingFlags.Instance).Single().GetParameters()
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name!)).ToArray();
}
