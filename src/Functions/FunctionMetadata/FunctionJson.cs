using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Functions.FunctionMetadata;

/// <summary>
/// Reads and writes function.json. The text is deterministic (fixed indentation, <c>\n</c> line
/// ends, a final newline) so a regenerated file is byte-identical and diffs only on real changes.
/// </summary>
public static class FunctionJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
    };

    /// <summary>The function.json text of <paramref name="function"/>.</summary>
    public static string Serialize(FunctionDescription function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return JsonSerializer.Serialize(new FileShape(function.Bindings), Options) + "\n";
    }

    /// <summary>The bindings of a function.json text.</summary>
    /// <exception cref="JsonException">The text is not a function.json with a bindings array.</exception>
    public static IReadOnlyList<FunctionBinding> ReadBindings(string json) =>
        JsonSerializer.Deserialize<FileShape>(json, Options)?.Bindings ?? throw new JsonException("function.json has no bindings.");

    private sealed record FileShape(IReadOnlyList<FunctionBinding> Bindings);
}
