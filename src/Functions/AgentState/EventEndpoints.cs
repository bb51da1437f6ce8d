using System.Globalization;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage.Conversations;
using Serverless.Storage.Events;
using Serverless.Storage.Usage;

namespace Serverless.Functions.AgentState;

/// <summary>
/// Events and usage: <c>POST /api/v1/events</c> (a batch of up to 500, retry-safe), <c>GET /api/v1/events</c> (newest
/// first, by type and time range) and <c>GET /api/v1/usage</c> (daily rollups over a range of days, read in O(days)).
/// </summary>
public static class EventEndpoints
{
    /// <summary>The events.</summary>
    public const string EventsRoute = "v1/events";

    /// <summary>The usage rollups.</summary>
    public const string UsageRoute = "v1/usage";

    /// <summary>Body limit of an event batch: 500 events with properties of up to 4 KiB each.</summary>
    public const long BatchBodyBytes = 4 * 1024 * 1024;

    /// <summary>Most days one usage read covers.</summary>
    public const int MaxUsageDays = 400;

    /// <summary>How far ahead of the server an event's time may be.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Maps the event and usage operations onto the local server's <c>/api</c> group.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var events = api.MapGroup(string.Empty).WithTags("Events");
        events.MapPost(EventsRoute, AppendEvents).WithName(nameof(EventFunctions.AppendEvents))
            .WithSummary("Stores up to 500 events; an event already stored (same id and time) is neither stored nor counted again, so a failed batch can be sent again whole.")
            .Reads<EventBatch>().Answers<EventBatchView>().ProducesProblems(400);
        events.MapGet(EventsRoute, ListEvents).WithName(nameof(EventFunctions.ListEvents)).WithSummary("Lists events newest first, of one type and within [from, to).")
            .Answers<ListPage<EventView>>().WithListQuery(ListOrder.DescendingOnly,
                ListFilter.Free("type", "Only events of this type (filtered as rows are read: at most 5 storage requests per page, which may come back short)."),
                ListFilter.Free("from", "Only events at or after this time (ISO-8601)."), ListFilter.Free("to", "Only events before this time (ISO-8601)."))
            .ProducesProblems(400);
        events.MapGet(UsageRoute, GetUsage).WithName(nameof(EventFunctions.GetUsage))
            .WithSummary("Reads daily usage (tokens, cost, counts) for from..to (UTC days, default the last 30), in total, per model or per event type: one range read of the rollups.")
            .Answers<UsageView>().ProducesProblems(400);
    }

    /// <summary>POST a batch of events.</summary>
    public static async Task<IResult> AppendEvents(EventBatch body, CurrentUser user, EventStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.Events is not { Count: >= 1 and <= EventStore.MaxBatch } list)
        {
            return Problems.Validation("events", $"events must hold 1 to {EventStore.MaxBatch} events.");
        }

        var latest = time.GetUtcNow() + MaxClockSkew;
        var events = new List<NewEvent>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var prefix = $"events[{i}].";
            var e = list[i];
            if (e is null)
            {
                errors[$"events[{i}]"] = ["An event must be an object."];
                continue;
            }

            if (Validate(errors, prefix, e, latest) is { } valid)
            {
                events.Add(valid);
            }
        }

        if (errors.Count == 0 && events.Select(e => (e.Time.UtcTicks, e.Id)).Distinct().Count() != events.Count)
        {
            errors["events"] = ["Two events of the batch have the same id and time."];
        }

        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var result = await store.AppendAsync(user.Partition, events, cancellationToken);
        return TypedResults.Ok(new EventBatchView(result.Stored, result.Duplicates));
    }

    /// <summary>
    /// Checks one event as a batch does (its time at most <paramref name="latest"/>), adding to <paramref name="errors"/>
    /// under <paramref name="prefix"/>; returns the event to store, or null when it has errors.
    /// </summary>
    public static NewEvent? Validate(Dictionary<string, string[]> errors, string prefix, EventWrite e, DateTimeOffset latest)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(e);
        var before = errors.Count;
        if (e.Id is not { Length: >= 1 and <= 128 } id || id.Any(c => c < 0x21 || c > 0x7E))
        {
            errors[prefix + "id"] = ["id is required: 1 to 128 visible ASCII characters."];
        }

        if (!AgentValidation.IsName(e.Type))
        {
            errors[prefix + "type"] = ["type is required: a lower-case name (a letter, then up to 63 of a-z 0-9 _ . : -)."];
        }

        if (e.Time is not { } at || at > latest || at.Year < 2000)
        {
            errors[prefix + "time"] = ["time is required: when it happened, from the year 2000 to at most 5 minutes ahead of the server."];
        }

        var properties = AgentValidation.SmallObject(errors, prefix + "properties", e.Properties);
        AgentValidation.Text(errors, prefix + "model", e.Model, ConversationLimits.MaxModelChars);
        AgentValidation.Count(errors, prefix + "promptTokens", e.PromptTokens, ConversationLimits.MaxTokensPerMessage);
        AgentValidation.Count(errors, prefix + "completionTokens", e.CompletionTokens, ConversationLimits.MaxTokensPerMessage);
        AgentValidation.Cost(errors, prefix + "cost", e.Cost, ConversationLimits.MaxCostPerMessage);
        AgentValidation.Count(errors, prefix + "durationMs", e.DurationMs, (long)TimeSpan.FromDays(7).TotalMilliseconds);
        if (e.ThreadId is not null && !AgentValidation.IsId(e.ThreadId))
        {
            errors[prefix + "threadId"] = [AgentValidation.IdRule("threadId")];
        }

        return errors.Count == before
            ? new NewEvent(e.Id!, e.Type!, e.Time!.Value.ToUniversalTime(), properties, e.Model, e.PromptTokens, e.CompletionTokens, e.Cost, e.DurationMs, e.ThreadId)
            : null;
    }

    /// <summary>GET events.</summary>
    public static async Task<IResult> ListEvents(HttpRequest request, CurrentUser user, EventStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: true, out var query, out var problem))
        {
            return problem!;
        }

        var errors = new Dictionary<string, string[]>();
        if (!query.Descending)
        {
            errors["order"] = ["Events are listed newest first only: use order=desc or leave it out."];
        }

        var type = request.Query["type"].ToString();
        if (type.Length > 0 && !AgentValidation.IsName(type))
        {
            errors["type"] = ["type must be a lower-case name."];
        }

        var from = Time(errors, request, "from");
        var to = Time(errors, request, "to");
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var scope = $"events:{type}:{from?.UtcTicks}:{to?.UtcTicks}";
        string? continuation = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out continuation))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition, type.Length == 0 ? null : type, from, to, query.Limit, continuation, cancellationToken);
        return TypedResults.Ok(new ListPage<EventView>(items.Select(EventView.From).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    /// <summary>GET usage.</summary>
    public static async Task<IResult> GetUsage(HttpRequest request, CurrentUser user, UsageStore usage, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var to = Day(errors, request, "to") ?? today;
        var from = Day(errors, request, "from") ?? to.AddDays(-29);
        var by = request.Query["by"].ToString() is { Length: > 0 } text ? text : UsageChanges.Total;
        if (by is not (UsageChanges.Total or UsageChanges.Model or UsageChanges.Type))
        {
            errors["by"] = ["by must be total, model or type."];
        }

        if (errors.Count == 0 && (from > to || to.DayNumber - from.DayNumber >= MaxUsageDays))
        {
            errors["from"] = [$"from must be on or before to, at most {MaxUsageDays} days before it."];
        }

        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var rows = (await usage.ReadAsync(user.Partition, from, to, cancellationToken)).Where(d => d.Dimension == by).ToList();
        if (by == UsageChanges.Total)
        {
            var byDay = rows.ToDictionary(d => d.Day, StringComparer.Ordinal);
            rows = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1)
                .Select(i => from.AddDays(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                .Select(day => byDay.GetValueOrDefault(day) ?? new UsageDay(day, UsageChanges.Total, null, 0, 0, 0, 0, 0, 0))
                .ToList();
        }

        return TypedResults.Ok(new UsageView(Format(from), Format(to), by, rows.Select(UsageDayView.From).ToList()));
    }

    private static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(Dictionary<string, string[]> errors, HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) && at.Year >= 2000)
        {
            return at;
        }

        errors[name] = [$"{name} must be an ISO-8601 time (e.g. 2026-01-31T12:00:00Z)."];
        return null;
    }

    private static DateOnly? Day(Dictionary<string, string[]> errors, HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day.Year >= 2000)
        {
            return day;
        }

        errors[name] = [$"{name} must be a day, yyyy-MM-dd."];
        return null;
    }
}
