namespace Serverless.Storage.Conversations;

/// <summary>A message to append.</summary>
/// <param name="ClientMessageId">The client's id for it, which makes the append idempotent; null for none.</param>
/// <param name="Role">system, user, assistant or tool.</param>
/// <param name="Content">The text, or null.</param>
/// <param name="ToolCallsJson">Tool calls as JSON, or null.</param>
/// <param name="Model">The model that produced it, or null.</param>
/// <param name="PromptTokens">Prompt tokens spent, or null.</param>
/// <param name="CompletionTokens">Completion tokens spent, or null.</param>
/// <param name="Cost">Its cost, or null.</param>
/// <param name="MetadataJson">A JSON object of client metadata, or null.</param>
public sealed record NewMessage(
    string? ClientMessageId,
    string Role,
    string? Content,
    string? ToolCallsJson,
    string? Model,
    long? PromptTokens,
    long? CompletionTokens,
    double? Cost,
    string? MetadataJson)
{
    /// <summary>Whether it reports usage (a model, tokens or a cost): such messages are counted in the usage rollups.</summary>
    public bool ReportsUsage => Model is not null || PromptTokens is not null || CompletionTokens is not null || Cost is not null;
}

/// <summary>A stored message, with offloaded content already read back.</summary>
/// <param name="ThreadId">The thread whose row holds it (an ancestor's, for inherited messages of a fork).</param>
/// <param name="Sequence">Its sequence number, dense from 1 within the thread's lineage.</param>
/// <param name="ClientMessageId">The client's id for it, or null.</param>
/// <param name="Role">system, user, assistant or tool.</param>
/// <param name="Content">The full text, or null.</param>
/// <param name="ToolCallsJson">The full tool calls JSON, or null.</param>
/// <param name="Model">The model, or null.</param>
/// <param name="PromptTokens">Prompt tokens, or null.</param>
/// <param name="CompletionTokens">Completion tokens, or null.</param>
/// <param name="Cost">Cost, or null.</param>
/// <param name="MetadataJson">Client metadata JSON, or null.</param>
/// <param name="CreatedAt">When it was appended (UTC).</param>
/// <param name="Redacted">Whether its content and tool calls were redacted.</param>
/// <param name="ContentOffloaded">Whether the content lives in a blob.</param>
/// <param name="ToolCallsOffloaded">Whether the tool calls live in a blob.</param>
public sealed record MessageRecord(
    string ThreadId,
    long Sequence,
    string? ClientMessageId,
    string Role,
    string? Content,
    string? ToolCallsJson,
    string? Model,
    long? PromptTokens,
    long? CompletionTokens,
    double? Cost,
    string? MetadataJson,
    DateTimeOffset CreatedAt,
    bool Redacted,
    bool ContentOffloaded,
    bool ToolCallsOffloaded);

/// <summary>The outcome of an append.</summary>
/// <param name="Thread">The thread after the append.</param>
/// <param name="Messages">The appended messages, in order.</param>
/// <param name="Replayed">True when every client message id was already appended: nothing was written and these are the stored messages.</param>
public sealed record AppendResult(ThreadRecord Thread, IReadOnlyList<MessageRecord> Messages, bool Replayed);

/// <summary>An append reused client message ids of which only some were already appended (or with other messages in between): nothing was written.</summary>
public sealed class ClientMessageIdConflictException(string message) : Exception(message);
