using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Events;
using Serverless.Storage.Usage;

namespace Serverless.Functions.AgentState;

/// <summary>One event of a batch.</summary>
/// <param name="Id">The client's id (1 to 128 visible ASCII characters); with <paramref name="Time"/> it identifies the event, so a retried batch is not counted twice.</param>
/// <param name="Type">Its type: a lower-case name, e.g. <c>search</c>, <c>command</c>, <c>model.call</c>.</param>
/// <param name="Time">When it happened (UTC; at most 5 minutes ahead of the server).</param>
/// <param name="Properties">A small JSON object (at most 4,096 bytes).</param>
/// <param name="Model">The model it used.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="DurationMs">Duration in milliseconds.</param>
/// <param name="ThreadId">The thread it belongs to.</param>
public sealed record EventWrite(
    string? Id, string? Type, DateTimeOffset? Time, JsonElement? Properties, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost, long? DurationMs, string? ThreadId);

/// <summary>The body of <c>POST /api/v1/events</c>.</summary>
/// <param name="Events">1 to 500 events.</param>
public sealed record EventBatch(IReadOnlyList<EventWrite?>? Events) : IBindableFromHttpContext<EventBatch>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<EventBatch?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<EventBatch>(context.Request, context.RequestAborted);
}

/// <summary>What a batch stored.</summary>
/// <param name="Stored">Events stored (and counted in the usage rollups) by this request.</param>
/// <param name="Duplicates">Events already stored by an earlier request (same id and time): neither stored nor counted again.</param>
public sealed record EventBatchView(int Stored, int Duplicates);

/// <summary>An event as the API returns it.</summary>
/// <param name="Id">The client's id.</param>
/// <param name="Type">Its type.</param>
/// <param name="Time">When it happened (UTC).</param>
/// <param name="Properties">Its properties, or null.</param>
/// <param name="Model">Its model, or null.</param>
/// <param name="PromptTokens">Prompt tokens, or null.</param>
/// <param name="CompletionTokens">Completion tokens, or null.</param>
/// <param name="Cost">Cost, or null.</param>
/// <param name="DurationMs">Duration, or null.</param>
/// <param name="ThreadId">Its thread, or null.</param>
/// <param name="ReceivedAt">When it was stored (UTC).</param>
public sealed record EventView(
    string Id, string Type, DateTimeOffset Time, JsonElement? Properties, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost, long? DurationMs, string? ThreadId, DateTimeOffset ReceivedAt)
{
    /// <summary>Maps a stored event.</summary>
    public static EventView From(EventRecord r) => new(
        r.Event.Id, r.Event.Type, r.Event.Time, AgentValidation.Element(r.Event.PropertiesJson), r.Event.Model, r.Event.PromptTokens, r.Event.CompletionTokens,
        r.Event.Cost, r.Event.DurationMs, r.Event.ThreadId, r.ReceivedAt);
}

/// <summary>One day's usage in one dimension.</summary>
/// <param name="Day">The UTC day, <c>yyyy-MM-dd</c>.</param>
/// <param name="Dimension"><c>total</c>, <c>model</c> or <c>type</c>.</param>
/// <param name="Value">The model or event type; null for <c>total</c>.</param>
/// <param name="Events">Events.</param>
/// <param name="Messages">Messages that reported usage (a model, tokens or a cost).</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="DurationMs">Event durations, summed.</param>
public sealed record UsageDayView(string Day, string Dimension, string? Value, long Events, long Messages, long PromptTokens, long CompletionTokens, double Cost, long DurationMs)
{
    /// <summary>Maps a rollup.</summary>
    public static UsageDayView From(UsageDay d) => new(d.Day, d.Dimension, d.Value, d.Events, d.Messages, d.PromptTokens, d.CompletionTokens, d.Cost, d.DurationMs);
}

/// <summary>Usage over a range of days.</summary>
/// <param name="From">The first day (UTC), <c>yyyy-MM-dd</c>.</param>
/// <param name="To">The last day (UTC, inclusive).</param>
/// <param name="By"><c>total</c> (one row per day, days without usage as zeros), <c>model</c> or <c>type</c> (rows only where there was usage).</param>
/// <param name="Days">The rows, by day.</param>
public sealed record UsageView(string From, string To, string By, IReadOnlyList<UsageDayView> Days);
