using Azure.Data.Tables;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>Maps messages to their rows; a large text is stored as a blob reference plus a preview, size and hash.</summary>
internal static class MessageEntities
{
    public const string Content = "Content";
    public const string ToolCalls = "ToolCalls";

    public static TableEntity Row(UserPartition user, string threadId, long sequence, NewMessage m, PayloadReference? contentBlob, PayloadReference? toolCallsBlob, DateTimeOffset now)
    {
        var e = new TableEntity(user.Key, UserRowKeys.ForMessage(threadId, sequence))
        {
            ["ClientId"] = m.ClientMessageId,
            ["Role"] = m.Role,
            ["Model"] = m.Model,
            ["PromptTokens"] = m.PromptTokens,
            ["CompletionTokens"] = m.CompletionTokens,
            ["Cost"] = m.Cost,
            ["Metadata"] = m.MetadataJson,
            ["CreatedAt"] = now,
        };
        SetText(e, Content, m.Content, contentBlob);
        SetText(e, ToolCalls, m.ToolCallsJson, toolCallsBlob);
        return e;
    }

    public static TableEntity ClientIdRow(UserPartition user, string threadId, string clientMessageId, long sequence) =>
        new(user.Key, UserRowKeys.ForMessageId(threadId, clientMessageId)) { ["Seq"] = sequence };

    /// <summary>The row's blob references (what the orphan check and deletes look at).</summary>
    public static IEnumerable<PayloadReference> Blobs(TableEntity e) =>
        new[] { Reference(e, Content), Reference(e, ToolCalls) }.OfType<PayloadReference>();

    public static PayloadReference? Reference(TableEntity e, string field) => PayloadColumns.Read(e, field);

    /// <summary>Removes content and tool calls (inline or referenced) and marks the row redacted.</summary>
    public static void Redact(TableEntity e)
    {
        foreach (var field in new[] { Content, ToolCalls })
        {
            e[field] = null;
            e[field + "Preview"] = null;
            PayloadColumns.Write(e, field, null);
        }

        e["Redacted"] = true;
    }

    public static long SequenceOf(TableEntity e) => long.Parse(KeyEncoding.Split(e.RowKey)[2], System.Globalization.CultureInfo.InvariantCulture);

    public static MessageRecord ToRecord(TableEntity e, string? content, string? toolCalls) => new(
        KeyEncoding.Split(e.RowKey)[1],
        SequenceOf(e),
        e.GetString("ClientId"),
        e.GetString("Role") ?? string.Empty,
        content,
        toolCalls,
        e.GetString("Model"),
        e.GetInt64("PromptTokens"),
        e.GetInt64("CompletionTokens"),
        e.GetDouble("Cost"),
        e.GetString("Metadata"),
        e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
        e.GetBoolean("Redacted") ?? false,
        e.GetString(PayloadColumns.BlobColumn(Content)) is not null,
        e.GetString(PayloadColumns.BlobColumn(ToolCalls)) is not null);

    /// <summary>The first characters of a text, never ending in half a surrogate pair.</summary>
    public static string Preview(string text)
    {
        var length = Math.Min(text.Length, ConversationLimits.PreviewChars);
        if (length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }

    private static void SetText(TableEntity e, string field, string? text, PayloadReference? blob)
    {
        if (blob is null)
        {
            e[field] = text;
            return;
        }

        PayloadColumns.Write(e, field, blob);
        e[field + "Preview"] = text is null ? null : Preview(text);
    }
}
