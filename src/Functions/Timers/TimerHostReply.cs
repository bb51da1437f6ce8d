using System.Text.Json.Serialization;

namespace Serverless.Functions.Timers;

/// <summary>
/// The reply the host expects from a non-HTTP invocation, <c>{Outputs, Logs, ReturnValue}</c>, with the
/// host's own property names (the app's camelCase policy must not apply).
/// </summary>
/// <param name="Outputs">Output bindings by name; timers have none.</param>
/// <param name="Logs">Lines the host logs at Information against the invocation.</param>
/// <param name="ReturnValue">The <c>$return</c> binding's value; always null here.</param>
internal sealed record TimerHostReply(
    [property: JsonPropertyName("Outputs")] IReadOnlyDictionary<string, object?> Outputs,
    [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("ReturnValue"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] object? ReturnValue)
{
    /// <summary>A successful run's reply carrying <paramref name="logs"/>.</summary>
    public static TimerHostReply Success(IReadOnlyList<string> logs) => new(new Dictionary<string, object?>(), logs, null);
}
