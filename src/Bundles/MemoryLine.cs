using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>
/// A line of <c>kinds/memory.ndjson</c>: one memory, identified by scope, namespace and key. Members after
/// <paramref name="CreatedAt"/> are optional (command-line importers write <c>{scope, namespace, key, value, createdAt}</c>).
/// </summary>
/// <param name="Scope"><c>user</c>, <c>space:{id}</c> or <c>app:{id}</c>.</param>
/// <param name="Namespace">The dot-separated namespace path, e.g. <c>prefs.ui</c>.</param>
/// <param name="Key">The key within the namespace.</param>
/// <param name="Value">The value: text (a JSON string) or any JSON.</param>
/// <param name="CreatedAt">When it was first written.</param>
/// <param name="Tags">Tags (default: none).</param>
/// <param name="SourceThreadId">The thread it came from.</param>
/// <param name="SourceMessageSequence">The message it came from.</param>
/// <param name="UpdatedAt">When it was last written (default: <paramref name="CreatedAt"/>).</param>
public sealed record MemoryLine(
    string Scope,
    string Namespace,
    string Key,
    JsonElement Value,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string>? Tags = null,
    string? SourceThreadId = null,
    long? SourceMessageSequence = null,
    DateTimeOffset? UpdatedAt = null);
