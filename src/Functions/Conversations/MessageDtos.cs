using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Conversations;

namespace Serverless.Functions.Conversations;

/// <summary>One message to append.</summary>
/// <param name="Id">The client's message id (1-128 visible ASCII characters), which makes the append idempotent; optional.</param>
/// <param name="Role">system, user, assistant or tool.</param>
/// <param name="Content">The text (at most 1,000,000 characters; stored in a blob above 16,384).</param>
/// <param name="ToolCalls">Tool calls: a JSON array or object (at most 1,000,000 characters serialized).</param>
/// <param name="Model">The model (at most 200 characters).</param>
/// <param name="PromptTokens">Prompt tokens, at least 0.</param>
/// <param name="CompletionTokens">Completion tokens, at least 0.</param>
/// <param name="Cost">Cost, a finite number at least 0.</param>
/// <param name="Metadata">A JSON object of client metadata (at most 4,096 characters serialized).</param>
public sealed record MessageWrite(
    string? Id,
    string? Role,
    string? Content,
    JsonElement? ToolCalls,
    string? Model,
    long? PromptTokens,
    long? CompletionTokens,
    double? Cost,
    JsonElement? Metadata) : IBindableFromHttpContext<MessageWrite>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<MessageWrite?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<MessageWrite>(context.Request, context.RequestAborted);
}

/// <summary>The body of <c>POST /api/v1/threads/{threadId}/messages/batch</c>.</summary>
/// <param name="Messages">The messages, appended atomically in order.</param>
public sealed record MessageBatchWrite(IReadOnlyList<MessageWrite?>? Messages) : IBindableFromHttpContext<MessageBatchWrite>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<MessageBatchWrite?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<MessageBatchWrite>(context.Request, context.RequestAborted);
}

/// <summary>A message as the API returns it.</summary>
/// <param name="Sequence">Its sequence number in the thread (dense from 1, fork ancestry included).</param>
/// <param name="Id">The client's message id, or null.</param>
/// <param name="Role">The role.</param>
/// <param name="Content">The text, or null.</param>
/// <param name="ToolCalls">Tool calls, or null.</param>
/// <param name="Model">The model, or null.</param>
/// <param name="PromptTokens">Prompt tokens, or null.</param>
/// <param name="CompletionTokens">Completion tokens, or null.</param>
/// <param name="Cost">Cost, or null.</param>
/// <param name="Metadata">Client metadata, or null.</param>
/// <param name="CreatedAt">When it was appended (UTC).</param>
/// <param name="Redacted">Whether its content was redacted.</param>
/// <param name="Unreadable">
/// The fields whose stored value could not be read (served as null), e.g. <c>["toolCalls"]</c>; null when every field read
/// (see <see cref="StoredJson"/>).
/// </param>
public sealed record MessageView(
    long Sequence,
    string? Id,
    string Role,
    string? Content,
    JsonElement? ToolCalls,
    string? Model,
    long? PromptTokens,
    long? CompletionTokens,
    double? Cost,
    JsonElement? Metadata,
    DateTimeOffset CreatedAt,
    bool Redacted,
    IReadOnlyList<string>? Unreadable)
{
    /// <summary>Maps a stored message to its API view.</summary>
    public static MessageView From(MessageRecord m)
    {
        var toolCallsRead = StoredJson.TryParse(m.ToolCallsJson, out var toolCalls);
        var metadataRead = StoredJson.TryParse(m.MetadataJson, out var metadata);
        return new(
            m.Sequence, m.ClientMessageId, m.Role, m.Content, toolCalls, m.Model, m.PromptTokens, m.CompletionTokens, m.Cost, metadata, m.CreatedAt, m.Redacted,
            StoredJson.Unreadable(("toolCalls", toolCallsRead), ("metadata", metadataRead)));
    }
}

/// <summary>The answer to a batch append.</summary>
/// <param name="Thread">The thread after the append.</param>
/// <param name="Messages">The appended messages.</param>
public sealed record AppendView(ThreadView Thread, IReadOnlyList<MessageView> Messages);

/// <summary>The body of <c>PUT /api/v1/threads/{threadId}/summary</c>.</summary>
/// <param name="Text">The summary (at most 32,768 characters).</param>
/// <param name="CoversSequence">The last sequence number it covers (0 to the thread's last).</param>
public sealed record SummaryWrite(string? Text, long? CoversSequence) : IBindableFromHttpContext<SummaryWrite>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<SummaryWrite?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<SummaryWrite>(context.Request, context.RequestAborted);
}

/// <summary>A thread's summary as the API returns it.</summary>
/// <param name="ThreadId">The thread.</param>
/// <param name="Text">The summary.</param>
/// <param name="CoversSequence">The last sequence number it covers.</param>
/// <param name="UpdatedAt">When it was written (UTC).</param>
public sealed record SummaryView(string ThreadId, string Text, long CoversSequence, DateTimeOffset UpdatedAt)
{
    /// <summary>Maps a stored summary to its API view.</summary>
    public static SummaryView From(SummaryRecord s) => new(s.ThreadId, s.Text, s.CoversSequence, s.UpdatedAt);
}
