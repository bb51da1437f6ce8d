using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Runs;

namespace Serverless.Functions.AgentState;

/// <summary>The body of <c>POST /api/v1/runs</c>.</summary>
/// <param name="Id">The run id (1-64 of A-Z a-z 0-9 _ -); generated when absent.</param>
/// <param name="Kind">What kind of run: a lower-case name, e.g. <c>tool</c>, <c>automation</c>, <c>agent_task</c>.</param>
/// <param name="Name">The tool, automation or task name (1 to 200 characters).</param>
/// <param name="Status">queued (the default), running, succeeded, failed or cancelled.</param>
/// <param name="ThreadId">The thread it belongs to.</param>
/// <param name="MessageSequence">The message it belongs to.</param>
/// <param name="ParentRunId">The run that started it.</param>
/// <param name="MissionId">The mission that fired it.</param>
/// <param name="Input">Its input, any JSON.</param>
/// <param name="Output">Its output, any JSON.</param>
/// <param name="Error">Its error, any JSON (a message or an object).</param>
/// <param name="Model">The model it used.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="Metadata">A JSON object of client metadata (at most 4,096 bytes).</param>
/// <param name="StartedAt">When it started (default: now when created running or ended).</param>
/// <param name="EndedAt">When it ended (default: now when created ended).</param>
public sealed record RunCreate(
    string? Id, string? Kind, string? Name, string? Status, string? ThreadId, long? MessageSequence, string? ParentRunId, string? MissionId,
    JsonElement? Input, JsonElement? Output, JsonElement? Error, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost, JsonElement? Metadata,
    DateTimeOffset? StartedAt, DateTimeOffset? EndedAt) : IBindableFromHttpContext<RunCreate>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<RunCreate?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<RunCreate>(context.Request, context.RequestAborted);
}

/// <summary>The body of <c>PATCH /api/v1/runs/{runId}</c>: absent (or null) fields stay.</summary>
/// <param name="Status">The new status (queued → running → succeeded | failed | cancelled; queued may also be cancelled or failed).</param>
/// <param name="Input">New input.</param>
/// <param name="Output">New output.</param>
/// <param name="Error">New error.</param>
/// <param name="Model">The model.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="Metadata">New metadata object.</param>
/// <param name="StartedAt">When it started (default: now on the move to running).</param>
/// <param name="EndedAt">When it ended (default: now on the move to an end status).</param>
public sealed record RunChange(
    string? Status, JsonElement? Input, JsonElement? Output, JsonElement? Error, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost,
    JsonElement? Metadata, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt) : IBindableFromHttpContext<RunChange>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<RunChange?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<RunChange>(context.Request, context.RequestAborted);
}

/// <summary>A run as the API returns it.</summary>
/// <param name="Id">The run id.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Name">Its name.</param>
/// <param name="Status">Its status.</param>
/// <param name="ThreadId">Its thread, or null.</param>
/// <param name="MessageSequence">Its message, or null.</param>
/// <param name="ParentRunId">Its parent run, or null.</param>
/// <param name="MissionId">Its mission, or null.</param>
/// <param name="Input">Its input, or null.</param>
/// <param name="Output">Its output, or null.</param>
/// <param name="Error">Its error, or null.</param>
/// <param name="Model">Its model, or null.</param>
/// <param name="PromptTokens">Prompt tokens, or null.</param>
/// <param name="CompletionTokens">Completion tokens, or null.</param>
/// <param name="Cost">Cost, or null.</param>
/// <param name="Metadata">Client metadata, or null.</param>
/// <param name="CreatedAt">Created (UTC).</param>
/// <param name="UpdatedAt">Last changed (UTC).</param>
/// <param name="StartedAt">Started, or null.</param>
/// <param name="EndedAt">Ended, or null.</param>
/// <param name="DurationMs">End minus start in milliseconds, or null.</param>
public sealed record RunView(
    string Id, string Kind, string Name, string Status, string? ThreadId, long? MessageSequence, string? ParentRunId, string? MissionId,
    JsonElement? Input, JsonElement? Output, JsonElement? Error, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost, JsonElement? Metadata,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, long? DurationMs)
{
    /// <summary>Maps a stored run.</summary>
    public static RunView From(RunRecord r) => new(
        r.Id, r.Kind, r.Name, r.Status, r.ThreadId, r.MessageSequence, r.ParentRunId, r.MissionId,
        AgentValidation.Element(r.InputJson), AgentValidation.Element(r.OutputJson), AgentValidation.Element(r.ErrorJson),
        r.Model, r.PromptTokens, r.CompletionTokens, r.Cost, AgentValidation.Element(r.MetadataJson), r.CreatedAt, r.UpdatedAt, r.StartedAt, r.EndedAt, r.DurationMs);
}

/// <summary>A run in a list: without input, output, error and metadata (read the run for those).</summary>
/// <param name="Id">The run id.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Name">Its name.</param>
/// <param name="Status">Its status.</param>
/// <param name="ThreadId">Its thread, or null.</param>
/// <param name="MessageSequence">Its message, or null.</param>
/// <param name="ParentRunId">Its parent run, or null.</param>
/// <param name="MissionId">Its mission, or null.</param>
/// <param name="Model">Its model, or null.</param>
/// <param name="PromptTokens">Prompt tokens, or null.</param>
/// <param name="CompletionTokens">Completion tokens, or null.</param>
/// <param name="Cost">Cost, or null.</param>
/// <param name="CreatedAt">Created (UTC).</param>
/// <param name="UpdatedAt">Last changed (UTC).</param>
/// <param name="StartedAt">Started, or null.</param>
/// <param name="EndedAt">Ended, or null.</param>
/// <param name="DurationMs">End minus start in milliseconds, or null.</param>
public sealed record RunSummaryView(
    string Id, string Kind, string Name, string Status, string? ThreadId, long? MessageSequence, string? ParentRunId, string? MissionId,
    string? Model, long? PromptTokens, long? CompletionTokens, double? Cost, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, long? DurationMs)
{
    /// <summary>Maps a run summary.</summary>
    public static RunSummaryView From(RunRecord r) => new(
        r.Id, r.Kind, r.Name, r.Status, r.ThreadId, r.MessageSequence, r.ParentRunId, r.MissionId, r.Model, r.PromptTokens, r.CompletionTokens, r.Cost,
        r.CreatedAt, r.UpdatedAt, r.StartedAt, r.EndedAt, r.DurationMs);
}

/// <summary>Runs per status.</summary>
/// <param name="Queued">Queued runs.</param>
/// <param name="Running">Running runs.</param>
/// <param name="Succeeded">Succeeded runs.</param>
/// <param name="Failed">Failed runs.</param>
/// <param name="Cancelled">Cancelled runs.</param>
/// <param name="Total">All runs kept (runs older than the retention are gone).</param>
public sealed record RunCountsView(long Queued, long Running, long Succeeded, long Failed, long Cancelled, long Total);
