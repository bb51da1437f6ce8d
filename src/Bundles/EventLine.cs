using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>
/// A line of <c>kinds/event.ndjson</c>: one event, identified by its id and time. Members after <paramref name="Time"/>
/// are optional.
/// </summary>
/// <param name="Id">The client's id for it.</param>
/// <param name="Type">Its type, e.g. <c>search</c> or <c>model.call</c>.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Properties">A small JSON object.</param>
/// <param name="Model">The model it used.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="DurationMs">Duration in milliseconds.</param>
/// <param name="ThreadId">Its thread.</param>
/// <param name="ReceivedAt">When the server first stored it (default: when it is imported).</param>
public sealed record EventLine(
    string Id,
    string Type,
    DateTimeOffset Time,
    JsonElement? Properties = null,
    string? Model = null,
    long? PromptTokens = null,
    long? CompletionTokens = null,
    double? Cost = null,
    long? DurationMs = null,
    string? ThreadId = null,
    DateTimeOffset? ReceivedAt = null);
