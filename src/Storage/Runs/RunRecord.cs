using Azure;

namespace Serverless.Storage.Runs;

/// <summary>The statuses of a run and the moves between them: queued → running → succeeded | failed | cancelled (queued may also be cancelled).</summary>
public static class RunStatuses
{
    /// <summary>Waiting to start.</summary>
    public const string Queued = "queued";

    /// <summary>Started.</summary>
    public const string Running = "running";

    /// <summary>Ended well.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Ended in an error.</summary>
    public const string Failed = "failed";

    /// <summary>Stopped before it ended.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Every status, in lifecycle order.</summary>
    public static IReadOnlyList<string> All { get; } = [Queued, Running, Succeeded, Failed, Cancelled];

    /// <summary>Whether a run in <paramref name="status"/> has ended.</summary>
    public static bool IsTerminal(string status) => status is Succeeded or Failed or Cancelled;

    /// <summary>Whether a run may move from <paramref name="from"/> to <paramref name="to"/> (staying is always allowed).</summary>
    public static bool CanMove(string from, string to) => from == to || (from, to) switch
    {
        (Queued, Running or Cancelled or Failed) => true,
        (Running, Succeeded or Failed or Cancelled) => true,
        _ => false,
    };
}

/// <summary>A run: a tool call, an automation run or an agent task.</summary>
/// <param name="Id">The run id.</param>
/// <param name="Kind">What kind of run, e.g. <c>tool</c>, <c>automation</c>, <c>agent_task</c>.</param>
/// <param name="Name">The tool, automation or task name.</param>
/// <param name="Status">One of <see cref="RunStatuses"/>.</param>
/// <param name="ThreadId">The thread it belongs to, or null.</param>
/// <param name="MessageSequence">The message it belongs to, or null.</param>
/// <param name="ParentRunId">The run that started it, or null.</param>
/// <param name="MissionId">The mission that fired it, or null.</param>
/// <param name="InputJson">Its input as JSON, or null (null in list summaries).</param>
/// <param name="OutputJson">Its output as JSON, or null (null in list summaries).</param>
/// <param name="ErrorJson">Its error as JSON, or null (null in list summaries).</param>
/// <param name="Model">The model it used, or null.</param>
/// <param name="PromptTokens">Prompt tokens, or null.</param>
/// <param name="CompletionTokens">Completion tokens, or null.</param>
/// <param name="Cost">Cost, or null.</param>
/// <param name="MetadataJson">A JSON object of client metadata, or null (null in list summaries).</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="StartedAt">When it started running, or null.</param>
/// <param name="EndedAt">When it ended, or null.</param>
/// <param name="ETag">The run row's version.</param>
public sealed record RunRecord(
    string Id, string Kind, string Name, string Status, string? ThreadId, long? MessageSequence, string? ParentRunId, string? MissionId,
    string? InputJson, string? OutputJson, string? ErrorJson, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost, string? MetadataJson,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, ETag ETag = default)
{
    /// <summary>Milliseconds from start to end, when both are known.</summary>
    public long? DurationMs => StartedAt is { } start && EndedAt is { } end ? (long)(end - start).TotalMilliseconds : null;
}

/// <summary>A change to a run; null fields stay as they are.</summary>
/// <param name="Status">The new status (the move must be allowed: <see cref="RunStatuses.CanMove"/>).</param>
/// <param name="InputJson">New input JSON.</param>
/// <param name="OutputJson">New output JSON.</param>
/// <param name="ErrorJson">New error JSON.</param>
/// <param name="Model">The model.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="MetadataJson">New metadata JSON object.</param>
/// <param name="StartedAt">When it started (else set when it moves to running).</param>
/// <param name="EndedAt">When it ended (else set when it moves to a terminal status).</param>
public sealed record RunPatch(
    string? Status, string? InputJson, string? OutputJson, string? ErrorJson, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost,
    string? MetadataJson, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt);

/// <summary>Which runs a list shows; each filter is optional.</summary>
/// <param name="Kind">Only runs of this kind.</param>
/// <param name="Status">Only runs in this status.</param>
/// <param name="ThreadId">Only runs of this thread.</param>
public sealed record RunFilter(string? Kind, string? Status, string? ThreadId);

/// <summary>The status move a change asked for is not allowed (e.g. out of a terminal status).</summary>
public sealed class InvalidRunTransitionException(string from, string to) : Exception($"A run cannot move from {from} to {to}.")
{
    /// <summary>The current status.</summary>
    public string From { get; } = from;

    /// <summary>The asked status.</summary>
    public string To { get; } = to;
}

/// <summary><c>If-Match</c> named a version of the run that is no longer current.</summary>
public sealed class RunPreconditionException() : Exception("The run has changed.");
