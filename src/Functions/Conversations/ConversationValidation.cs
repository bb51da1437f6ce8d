using System.Text.Json;
using System.Text.RegularExpressions;
using Serverless.Storage.Conversations;

namespace Serverless.Functions.Conversations;

/// <summary>Checks what clients send before anything is written; each failure becomes a field of a 400 problem.</summary>
public static partial class ConversationValidation
{
    /// <summary>The roles a message may have.</summary>
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal) { "system", "user", "assistant", "tool" };

    /// <summary>Whether <paramref name="id"/> is a legal thread id (it appears in row keys, blob names and fork lineages).</summary>
    public static bool IsThreadId(string? id) => id is not null && ThreadId().IsMatch(id);

    /// <summary>Whether <paramref name="id"/> is a legal client message id.</summary>
    public static bool IsClientMessageId(string? id) => id is not null && ClientMessageId().IsMatch(id);

    /// <summary>Whether a string is well-formed UTF-16 (no lone surrogate), which storage and JSON writers need.</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks an optional text field's length and form.</summary>
    public static void Text(Dictionary<string, string[]> errors, string field, string? text, int maxChars)
    {
        if (text is not null && (text.Length > maxChars || !IsWellFormed(text)))
        {
            errors[field] = [$"{field} must be at most {maxChars} characters of well-formed text."];
        }
    }

    /// <summary>Checks optional metadata: a JSON object of bounded size; returns its JSON text.</summary>
    public static string? Metadata(Dictionary<string, string[]> errors, string field, JsonElement? metadata)
    {
        if (metadata is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var json = value.GetRawText();
        if (value.ValueKind != JsonValueKind.Object || json.Length > ConversationLimits.MaxMetadataChars)
        {
            errors[field] = [$"{field} must be a JSON object of at most {ConversationLimits.MaxMetadataChars} characters."];
            return null;
        }

        return json;
    }

    /// <summary>Checks one message; returns what to store, or null when it failed (errors say why).</summary>
    public static NewMessage? Message(Dictionary<string, string[]> errors, string prefix, MessageWrite? m)
    {
        if (m is null)
        {
            errors[prefix] = ["a message is required."];
            return null;
        }

        var before = errors.Count;
        if (m.Id is not null && !IsClientMessageId(m.Id))
        {
            errors[prefix + "id"] = ["id must be 1 to 128 visible ASCII characters."];
        }

        if (m.Role is null || !Roles.Contains(m.Role))
        {
            errors[prefix + "role"] = ["role must be one of system, user, assistant, tool."];
        }

        Text(errors, prefix + "content", m.Content, ConversationLimits.MaxContentChars);
        Text(errors, prefix + "model", m.Model, ConversationLimits.MaxModelChars);
        string? toolCalls = null;
        if (m.ToolCalls is { ValueKind: not JsonValueKind.Null } calls)
        {
            toolCalls = calls.GetRawText();
            if (calls.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object) || toolCalls.Length > ConversationLimits.MaxToolCallsChars)
            {
                errors[prefix + "toolCalls"] = [$"toolCalls must be a JSON array or object of at most {ConversationLimits.MaxToolCallsChars} characters."];
            }
        }

        if (m.Content is null && toolCalls is null)
        {
            errors[prefix + "content"] = ["content or toolCalls is required."];
        }

        // Bounded so that the thread's running sums can never overflow (a long, a finite double).
        if (m.PromptTokens is < 0 or > ConversationLimits.MaxTokensPerMessage || m.CompletionTokens is < 0 or > ConversationLimits.MaxTokensPerMessage)
        {
            errors[prefix + "tokens"] = [$"promptTokens and completionTokens must be from 0 to {ConversationLimits.MaxTokensPerMessage}."];
        }

        if (m.Cost is { } cost && (!double.IsFinite(cost) || cost is < 0 or > ConversationLimits.MaxCostPerMessage))
        {
            errors[prefix + "cost"] = [$"cost must be a number from 0 to {ConversationLimits.MaxCostPerMessage}."];
        }

        var metadata = Metadata(errors, prefix + "metadata", m.Metadata);
        return errors.Count > before
            ? null
            : new NewMessage(m.Id, m.Role!, m.Content, toolCalls, m.Model, m.PromptTokens, m.CompletionTokens, m.Cost, metadata);
    }

    /// <summary>Checks a batch: 1 to 97 messages, messages plus client ids within one transaction, client ids distinct.</summary>
    public static IReadOnlyList<NewMessage>? Batch(Dictionary<string, string[]> errors, IReadOnlyList<MessageWrite?>? messages)
    {
        if (messages is null || messages.Count == 0)
        {
            errors["messages"] = ["messages must hold at least one message."];
            return null;
        }

        var rows = messages.Count + messages.Count(m => m?.Id is not null)
            + ConversationLimits.UsageRollupOperations(messages.Select(m => (m?.Model, m?.PromptTokens is not null || m?.CompletionTokens is not null || m?.Cost is not null)));
        if (rows > ConversationLimits.MaxAppendRows)
        {
            errors["messages"] = [$"An atomic append holds at most {ConversationLimits.MaxAppendRows} rows: one per message, one per client id, and when messages report usage one for the day's total plus one per distinct model (97 messages without ids or usage, 48 with ids). Split larger appends."];
            return null;
        }

        var ids = messages.Where(m => m?.Id is not null).Select(m => m!.Id!).ToList();
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
        {
            errors["messages"] = ["client message ids must be distinct."];
            return null;
        }

        var result = messages.Select((m, i) => Message(errors, $"messages[{i}].", m)).ToList();
        return errors.Count > 0 ? null : result.Select(m => m!).ToList();
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ThreadId();

    [GeneratedRegex("^[\\x21-\\x7E]{1,128}$")]
    private static partial Regex ClientMessageId();
}
