using System.Text.Json.Nodes;

namespace Serverless.Cli.Importers;

/// <summary>Mapping helpers for the importers of JSON app data (Nova HUD, NofX).</summary>
internal static class JsonLines
{
    /// <summary>
    /// A message line from an app's message object: <paramref name="roleOf"/> gives the role, the text is
    /// <c>content</c> (or <c>text</c>), the time <c>createdAt</c>/<c>timestamp</c>/<c>time</c> (else <paramref name="fallbackTime"/>,
    /// noted); other members go to <c>metadata</c>.
    /// </summary>
    public static async Task<JsonObject> MessageAsync(BundleBuilder bundle, BundleBuilder.KindLines lines, JsonObject message, string threadId, long sequence, string roleOf, string fallbackTime, string source, CancellationToken cancellationToken)
    {
        if (!ImportValues.Roles.Contains(roleOf))
        {
            throw ImportValues.NotUnderstood(source, $"role '{roleOf}' is not one the importer maps ({string.Join(", ", ImportValues.Roles)}).");
        }

        var line = new JsonObject { ["threadId"] = threadId, ["sequence"] = sequence, ["role"] = roleOf };
        var metadata = new JsonObject();
        string? time = null;
        foreach (var (name, value) in message)
        {
            switch (name)
            {
                case "role" or "type" or "sender":
                    break;
                case "id":
                    var id = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString();
                    if (ImportValues.IsMessageId(id))
                    {
                        line["id"] = id;
                    }
                    else
                    {
                        metadata["messageId"] = value?.DeepClone();
                    }

                    break;
                case "content" or "text":
                    if (value is JsonValue text && text.TryGetValue<string>(out var content))
                    {
                        await lines.SetTextAsync(line, "content", content, cancellationToken);
                    }
                    else if (value is not null)
                    {
                        // Structured content (parts, blocks): kept as its JSON text.
                        await lines.SetTextAsync(line, "content", value.ToJsonString(), cancellationToken);
                        metadata["contentIsJson"] = true;
                    }

                    break;
                case "createdAt" or "timestamp" or "time":
                    time = ImportValues.Timestamp(value, $"{source} {name}");
                    break;
                default:
                    metadata[name] = value?.DeepClone();
                    break;
            }
        }

        if (time is null)
        {
            bundle.Note("message", source, "no time of its own: the conversation's time was used");
        }

        line["createdAt"] = time ?? fallbackTime;
        if (metadata.Count > 0)
        {
            line["metadata"] = ImportValues.FitMetadata(metadata, bundle, "message", source);
        }

        return line;
    }

    /// <summary>The members of <paramref name="node"/> as a new object without <paramref name="except"/>.</summary>
    public static JsonObject Without(JsonObject node, params string[] except)
    {
        var copy = new JsonObject();
        foreach (var (name, value) in node)
        {
            if (!except.Contains(name, StringComparer.Ordinal))
            {
                copy[name] = value?.DeepClone();
            }
        }

        return copy;
    }

    /// <summary>The first of <paramref name="members"/> present as a time, or null.</summary>
    public static string? TimeOf(JsonObject node, string source, params string[] members)
    {
        foreach (var member in members)
        {
            if (node[member] is { } value)
            {
                return ImportValues.Timestamp(value, $"{source} {member}");
            }
        }

        return null;
    }
}
