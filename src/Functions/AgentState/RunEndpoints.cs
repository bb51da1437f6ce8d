using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Runs;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.AgentState;

/// <summary>
/// Runs (tool runs, automation runs, agent tasks): <c>/api/v1/runs</c> (create, list newest first by kind, status or
/// thread), <c>/api/v1/runs/counts</c> (runs per status) and <c>/api/v1/runs/{runId}</c> (read, change under If-Match).
/// </summary>
public static class RunEndpoints
{
    /// <summary>The runs.</summary>
    public const string RunsRoute = "v1/runs";

    /// <summary>Runs per status.</summary>
    public const string CountsRoute = "v1/runs/counts";

    /// <summary>One run.</summary>
    public const string RunRoute = "v1/runs/{runId}";

    /// <summary>Largest input, output or error, in characters of JSON (over 16,384 they go to a blob).</summary>
    public const int MaxTextChars = 1_000_000;

    /// <summary>Maps the run operations onto the local server's <c>/api</c> group.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var runs = api.MapGroup(string.Empty).WithTags("Runs");
        runs.MapPost(RunsRoute, CreateRun).WithName(nameof(RunFunctions.CreateRun)).WithSummary("Creates a run (Idempotency-Key honoured).")
            .Reads<RunCreate>().Answers<RunView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.Location | ApiHeaders.IdempotencyKey).ProducesProblems(400, 409, 422);
        runs.MapGet(RunsRoute, ListRuns).WithName(nameof(RunFunctions.ListRuns)).WithSummary("Lists run summaries newest first, filtered by kind, status and thread.")
            .Answers<ListPage<RunSummaryView>>().WithListQuery(ListOrder.DescendingOnly,
                ListFilter.Free("kind", "Only runs of this kind."), new ListFilter("status", "Only runs in this status.", RunStatuses.All), ListFilter.Free("threadId", "Only runs of this thread."))
            .ProducesProblems(400);
        runs.MapGet(CountsRoute, GetRunCounts).WithName(nameof(RunFunctions.GetRunCounts)).WithSummary("Counts runs per status (one read).")
            .Answers<RunCountsView>();
        runs.MapGet(RunRoute, GetRun).WithName(nameof(RunFunctions.GetRun)).WithSummary("Reads a run with its input, output and error.")
            .Answers<RunView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        runs.MapPatch(RunRoute, PatchRun).WithName(nameof(RunFunctions.PatchRun)).WithSummary("Changes a run: status (validated moves), output, error, usage, metadata (If-Match honoured).")
            .Reads<RunChange>().Answers<RunView>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch).ProducesProblems(400, 404, 409, 412);
    }

    /// <summary>POST a run.</summary>
    public static async Task<IResult> CreateRun(RunCreate body, HttpRequest request, HttpResponse response, CurrentUser user, RunStore store, IdempotencyKeys keys, TimeProvider time, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var (input, output, error, metadata) = Validate(errors, body);
        var status = body.Status ?? RunStatuses.Queued;
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var now = time.GetUtcNow();
        var started = body.StartedAt ?? (status == RunStatuses.Queued ? null : now);
        var ended = body.EndedAt ?? (RunStatuses.IsTerminal(status) ? now : null);
        var run = new RunRecord(
            body.Id ?? Guid.NewGuid().ToString("N"), body.Kind!, body.Name!, status, body.ThreadId, body.MessageSequence, body.ParentRunId, body.MissionId,
            input, output, error, body.Model, body.PromptTokens, body.CompletionTokens, body.Cost, metadata, now, now, started, ended);
        var idempotency = await keys.BeginAsync(request, "runs.create", JsonSerializer.SerializeToUtf8Bytes(body, json.Value.SerializerOptions), cancellationToken);
        if (idempotency.Answer is { } answer)
        {
            return answer;
        }

        var location = $"/api/v1/runs/{run.Id}";
        var view = RunView.From(run);
        var record = idempotency.Write?.Record(StatusCodes.Status201Created, JsonSerializer.Serialize(view, json.Value.SerializerOptions), location);
        try
        {
            run = await store.CreateAsync(user.Partition, run, record, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409 && e.FailedActionIndex() == 0)
        {
            return Problems.Conflict("A run with this id already exists.");
        }
        catch (RequestFailedException e) when (e.Status == 409 && idempotency.Write is { } write)
        {
            return await keys.AnswerAfterRaceAsync(write, cancellationToken);
        }

        ETagHeaders.Set(response, run.ETag);
        return TypedResults.Created(location, view);
    }

    /// <summary>GET the runs.</summary>
    public static async Task<IResult> ListRuns(HttpRequest request, CurrentUser user, RunStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: true, out var query, out var problem))
        {
            return problem!;
        }

        var errors = new Dictionary<string, string[]>();
        if (!query.Descending)
        {
            errors["order"] = ["Runs are listed newest first only: use order=desc or leave it out."];
        }

        string? Filter(string name, Func<string, bool> valid, string rule)
        {
            var text = request.Query[name].ToString();
            if (text.Length == 0)
            {
                return null;
            }

            if (!valid(text))
            {
                errors[name] = [rule];
            }

            return text;
        }

        var filter = new RunFilter(
            Filter("kind", AgentValidation.IsName, "kind must be a lower-case name."),
            Filter("status", RunStatuses.All.Contains, $"status must be one of {string.Join(", ", RunStatuses.All)}."),
            Filter("threadId", AgentValidation.IsId, AgentValidation.IdRule("threadId")));
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var scope = $"runs:{filter.Kind}:{filter.Status}:{filter.ThreadId}";
        string? after = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out after))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition, filter, query.Limit, after, cancellationToken);
        return TypedResults.Ok(new ListPage<RunSummaryView>(items.Select(RunSummaryView.From).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    /// <summary>GET runs per status.</summary>
    public static async Task<IResult> GetRunCounts(CurrentUser user, RunStore store, CancellationToken cancellationToken)
    {
        var counts = await store.CountsAsync(user.Partition, cancellationToken);
        return TypedResults.Ok(new RunCountsView(
            counts[RunStatuses.Queued], counts[RunStatuses.Running], counts[RunStatuses.Succeeded], counts[RunStatuses.Failed], counts[RunStatuses.Cancelled], counts.Values.Sum()));
    }

    /// <summary>GET one run.</summary>
    public static async Task<IResult> GetRun(string runId, HttpResponse response, CurrentUser user, RunStore store, CancellationToken cancellationToken)
    {
        if (!AgentValidation.IsId(runId))
        {
            return Problems.Validation("runId", AgentValidation.IdRule("runId"));
        }

        var run = await store.GetAsync(user.Partition, runId, cancellationToken);
        if (run is null)
        {
            return Problems.NotFound("run");
        }

        ETagHeaders.Set(response, run.ETag);
        return TypedResults.Ok(RunView.From(run));
    }

    /// <summary>PATCH one run.</summary>
    public static async Task<IResult> PatchRun(string runId, RunChange body, HttpRequest request, HttpResponse response, CurrentUser user, RunStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!AgentValidation.IsId(runId))
        {
            errors["runId"] = [AgentValidation.IdRule("runId")];
        }

        if (body.Status is { } asked && !RunStatuses.All.Contains(asked))
        {
            errors["status"] = [$"status must be one of {string.Join(", ", RunStatuses.All)}."];
        }

        var (input, output, error, metadata) = Texts(errors, body.Input, body.Output, body.Error, body.Metadata);
        Usage(errors, body.Model, body.PromptTokens, body.CompletionTokens, body.Cost);
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        RunRecord? run;
        try
        {
            run = await store.UpdateAsync(
                user.Partition, runId, ifMatch,
                new RunPatch(body.Status, input, output, error, body.Model, body.PromptTokens, body.CompletionTokens, body.Cost, metadata, body.StartedAt, body.EndedAt),
                cancellationToken);
        }
        catch (InvalidRunTransitionException e)
        {
            return Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.InvalidTransition, "This status change is not allowed.",
                $"A run cannot move from {e.From} to {e.To}: queued → running → succeeded | failed | cancelled (queued may also be cancelled or failed).");
        }
        catch (RunPreconditionException)
        {
            return Problems.PreconditionFailed();
        }

        if (run is null)
        {
            return Problems.NotFound("run");
        }

        ETagHeaders.Set(response, run.ETag);
        return TypedResults.Ok(RunView.From(run));
    }

    /// <summary>
    /// Checks a run as a POST does (id, kind, name, status, links, input, output, error, usage, metadata), adding to
    /// <paramref name="errors"/>; returns the JSON texts to store.
    /// </summary>
    public static (string? Input, string? Output, string? Error, string? Metadata) Validate(Dictionary<string, string[]> errors, RunCreate body)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(body);
        if (body.Id is not null && !AgentValidation.IsId(body.Id))
        {
            errors["id"] = [AgentValidation.IdRule("id")];
        }

        if (!AgentValidation.IsName(body.Kind))
        {
            errors["kind"] = ["kind is required: a lower-case name (a letter, then up to 63 of a-z 0-9 _ . : -), e.g. tool or automation."];
        }

        if (body.Name is not { Length: >= 1 and <= 200 })
        {
            errors["name"] = ["name is required: 1 to 200 characters."];
        }

        if (!RunStatuses.All.Contains(body.Status ?? RunStatuses.Queued))
        {
            errors["status"] = [$"status must be one of {string.Join(", ", RunStatuses.All)}."];
        }

        Links(errors, body.ThreadId, body.MessageSequence, body.ParentRunId, body.MissionId);
        var texts = Texts(errors, body.Input, body.Output, body.Error, body.Metadata);
        Usage(errors, body.Model, body.PromptTokens, body.CompletionTokens, body.Cost);
        return texts;
    }

    private static void Links(Dictionary<string, string[]> errors, string? threadId, long? messageSequence, string? parentRunId, string? missionId)
    {
        foreach (var (field, value) in new[] { ("threadId", threadId), ("parentRunId", parentRunId), ("missionId", missionId) })
        {
            if (value is not null && !AgentValidation.IsId(value))
            {
                errors[field] = [AgentValidation.IdRule(field)];
            }
        }

        if (messageSequence is < 1)
        {
            errors["messageSequence"] = ["messageSequence must be at least 1."];
        }
    }

    private static (string? Input, string? Output, string? Error, string? Metadata) Texts(
        Dictionary<string, string[]> errors, JsonElement? input, JsonElement? output, JsonElement? error, JsonElement? metadata) =>
        (Text(errors, "input", input), Text(errors, "output", output), Text(errors, "error", error), AgentValidation.SmallObject(errors, "metadata", metadata));

    private static string? Text(Dictionary<string, string[]> errors, string field, JsonElement? value) =>
        value is { ValueKind: JsonValueKind.Null } ? null : AgentValidation.AnyJson(errors, field, value, MaxTextChars);

    private static void Usage(Dictionary<string, string[]> errors, string? model, long? promptTokens, long? completionTokens, double? cost)
    {
        AgentValidation.Text(errors, "model", model, ConversationLimits.MaxModelChars);
        AgentValidation.Count(errors, "promptTokens", promptTokens, ConversationLimits.MaxTokensPerMessage);
        AgentValidation.Count(errors, "completionTokens", completionTokens, ConversationLimits.MaxTokensPerMessage);
        AgentValidation.Cost(errors, "cost", cost, ConversationLimits.MaxCostPerMessage);
    }
}
