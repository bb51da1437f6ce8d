using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Conversations;

/// <summary>
/// Threads: <c>/api/v1/threads</c> (create, list) and <c>/api/v1/threads/{threadId}</c> (get,
/// patch, soft delete, restore, fork, summary). A deleted thread answers 404 everywhere except
/// <c>restore</c>, within the user's retention of deleted threads (their <c>_retention</c> setting
/// <c>thread.deleted</c>, else <see cref="ConversationOptions.RestoreWindow"/>): the same retention the sweep purges by.
/// </summary>
public static class ThreadEndpoints
{
    /// <summary>The threads, relative to the <c>api</c> route prefix (as the functions' routes are).</summary>
    public const string ThreadsRoute = "v1/threads";

    /// <summary>One thread.</summary>
    public const string ThreadRoute = "v1/threads/{threadId}";

    /// <summary>A thread's restore action.</summary>
    public const string RestoreRoute = "v1/threads/{threadId}/restore";

    /// <summary>A thread's fork action.</summary>
    public const string ForkRoute = "v1/threads/{threadId}/fork";

    /// <summary>A thread's summary.</summary>
    public const string SummaryRoute = "v1/threads/{threadId}/summary";

    /// <summary>Maps the thread operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder threads)
    {
        threads.MapPost(ThreadsRoute, CreateThread).WithName(nameof(ThreadFunctions.CreateThread)).WithSummary("Creates a thread (Idempotency-Key honoured).")
            .Reads<ThreadCreate>().Answers<ThreadView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.Location | ApiHeaders.IdempotencyKey).ProducesProblems(400, 409, 422);
        threads.MapGet(ThreadsRoute, ListThreads).WithName(nameof(ThreadFunctions.ListThreads))
            .WithSummary("Lists threads newest first by activity (sort=recent) or creation (sort=created), filtered by archived/starred/deleted.")
            .Answers<ListPage<ThreadView>>().WithListQuery(ListOrder.DescendingOnly, ListFilter.ThreadSort, ListFilter.Archived, ListFilter.Starred, ListFilter.Deleted).ProducesProblems(400);
        threads.MapGet(ThreadRoute, GetThread).WithName(nameof(ThreadFunctions.GetThread)).WithSummary("Reads a thread.")
            .Answers<ThreadView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        threads.MapPatch(ThreadRoute, PatchThread).WithName(nameof(ThreadFunctions.PatchThread))
            .WithSummary("Changes title, metadata, starred or archived (If-Match honoured); archived: true packs the messages into archive segments, false restores them.")
            .Reads<ThreadPatch>().Answers<ThreadView>().Answers<ThreadView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch | ApiHeaders.Location)
            .ProducesProblems(400, 404, 412);
        threads.MapDelete(ThreadRoute, DeleteThread).WithName(nameof(ThreadFunctions.DeleteThread)).WithSummary("Soft-deletes a thread, restorable for the restore window (If-Match honoured).")
            .AnswersNoContent().WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
        threads.MapPost(RestoreRoute, RestoreThread).WithName(nameof(ThreadFunctions.RestoreThread)).WithSummary("Restores a soft-deleted thread within the restore window.")
            .Answers<ThreadView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        threads.MapPost(ForkRoute, ForkThread).WithName(nameof(ThreadFunctions.ForkThread)).WithSummary("Forks a thread at a message sequence number, copying nothing (Idempotency-Key honoured).")
            .Reads<ForkCreate>().Answers<ThreadView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.Location | ApiHeaders.IdempotencyKey).ProducesProblems(400, 404, 409, 422);
        threads.MapGet(SummaryRoute, GetSummary).WithName(nameof(ThreadFunctions.GetThreadSummary)).WithSummary("Reads a thread's summary.")
            .Answers<SummaryView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        threads.MapPut(SummaryRoute, PutSummary).WithName(nameof(ThreadFunctions.PutThreadSummary))
            .WithSummary("Writes a thread's summary and the sequence number it covers (If-Match honoured).")
            .Reads<SummaryWrite>().Answers<SummaryView>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
    }

    /// <summary>POST a thread.</summary>
    public static async Task<IResult> CreateThread(ThreadCreate body, HttpRequest request, HttpResponse response, CurrentUser user, ThreadStore store, IdempotencyKeys keys, TimeProvider time, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.Id is not null && !ConversationValidation.IsThreadId(body.Id))
        {
            errors["id"] = ["id must be 1 to 64 characters: letters, digits, '_' or '-'."];
        }

        ConversationValidation.Text(errors, "title", body.Title, ConversationLimits.MaxTitleChars);
        var metadata = ConversationValidation.Metadata(errors, "metadata", body.Metadata);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var thread = ThreadRecord.New(body.Id ?? NewId(), body.Title, metadata, body.Starred ?? false, body.Archived ?? false, time.GetUtcNow(), ThreadLineage.None);
        return await CreateAsync("threads.create", JsonSerializer.SerializeToUtf8Bytes(body, json.Value.SerializerOptions), thread, request, response, user, store, keys, json, cancellationToken);
    }

    /// <summary>POST a fork of a thread.</summary>
    public static async Task<IResult> ForkThread(string threadId, ForkCreate body, HttpRequest request, HttpResponse response, CurrentUser user, ThreadStore store, IdempotencyKeys keys, TimeProvider time, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        if (InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        if (body.Id is not null && !ConversationValidation.IsThreadId(body.Id))
        {
            errors["id"] = ["id must be 1 to 64 characters: letters, digits, '_' or '-'."];
        }

        ConversationValidation.Text(errors, "title", body.Title, ConversationLimits.MaxTitleChars);
        if (body.AtSequence is not { } at || at < 0)
        {
            errors["atSequence"] = ["atSequence is required: the last message (0 for none) the fork shows."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var parent = await store.GetAsync(user.Partition, threadId, cancellationToken);
        if (parent is null || parent.IsDeleted)
        {
            return Problems.NotFound("thread");
        }

        if (body.AtSequence >= parent.NextSequence)
        {
            return Problems.Validation("atSequence", $"atSequence must be at most the thread's last sequence number ({parent.NextSequence - 1}).");
        }

        var lineage = parent.Lineage.ForkAt(parent.Id, body.AtSequence!.Value);
        if (lineage.Ancestors.Count > ConversationLimits.MaxForkDepth)
        {
            return Problems.Validation("threadId", $"A fork may have at most {ConversationLimits.MaxForkDepth} ancestors.");
        }

        var fork = ThreadRecord.New(body.Id ?? NewId(), body.Title ?? parent.Title, parent.MetadataJson, false, false, time.GetUtcNow(), lineage);
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new { threadId, body }, json.Value.SerializerOptions);
        return await CreateAsync("threads.fork", canonical, fork, request, response, user, store, keys, json, cancellationToken);
    }

    /// <summary>GET one thread.</summary>
    public static async Task<IResult> GetThread(string threadId, HttpResponse response, CurrentUser user, ThreadStore store, CancellationToken cancellationToken)
    {
        if (InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var thread = await store.GetAsync(user.Partition, threadId, cancellationToken);
        if (thread is null || thread.IsDeleted)
        {
            return Problems.NotFound("thread");
        }

        ETagHeaders.Set(response, thread.ETag);
        return TypedResults.Ok(ThreadView.From(thread));
    }

    /// <summary>
    /// PATCH a thread: any of title, metadata (null clears them), starred, archived. After the change
    /// commits, <c>archived: true</c> seals the thread's own messages into archive segments and
    /// <c>archived: false</c> restores them to rows, at most
    /// <see cref="ConversationOptions.ArchiveSegmentsPerRequest"/> segments per request: 202 (with the
    /// thread so far) means more remain and the same request carries on; it is resumable after an
    /// interruption too.
    /// </summary>
    public static async Task<IResult> PatchThread(
        string threadId, ThreadPatch patch, HttpRequest request, HttpResponse response, CurrentUser user, ThreadStore store, ThreadArchiver archiver, IOptions<ConversationOptions> options, CancellationToken cancellationToken)
    {
        if (InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var body = patch.Fields;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Problems.Validation("body", "The body must be a JSON object.");
        }

        var errors = new Dictionary<string, string[]>();
        var changes = new List<Func<ThreadRecord, ThreadRecord>>();
        bool? archiving = null;
        foreach (var property in body.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "title" when value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                    var title = value.ValueKind == JsonValueKind.Null ? null : value.GetString();
                    ConversationValidation.Text(errors, "title", title, ConversationLimits.MaxTitleChars);
                    changes.Add(t => t with { Title = title });
                    break;
                case "metadata":
                    var metadata = ConversationValidation.Metadata(errors, "metadata", value);
                    changes.Add(t => t with { MetadataJson = metadata });
                    break;
                case "starred" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    var starred = value.GetBoolean();
                    changes.Add(t => t with { Starred = starred });
                    break;
                case "archived" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    var archived = value.GetBoolean();
                    archiving = archived;
                    changes.Add(t => t with { Archived = archived });
                    break;
                default:
                    errors[property.Name] = ["Only title (string or null), metadata (object or null), starred and archived (booleans) can be changed."];
                    break;
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var result = await UpdateAsync(threadId, ifMatch, response, user, store, (t, _) => t.IsDeleted ? null : changes.Aggregate(t, (current, change) => change(current)), cancellationToken);
        if (archiving is not { } seal || result is not IStatusCodeHttpResult { StatusCode: 200 })
        {
            return result;
        }

        var budget = options.Value.ArchiveSegmentsPerRequest;
        var progress = seal
            ? await archiver.SealAsync(user.Partition, threadId, budget, cancellationToken)
            : await archiver.UnsealAsync(user.Partition, threadId, budget, cancellationToken);
        if (progress is null)
        {
            return Problems.NotFound("thread");
        }

        ETagHeaders.Set(response, progress.Thread.ETag);
        var view = ThreadView.From(progress.Thread);

        // A very long thread moves a bounded number of segments per request: 202 says "send it again to go on".
        return progress.Complete ? TypedResults.Ok(view) : TypedResults.Accepted($"/api/v1/threads/{threadId}", view);
    }

    /// <summary>DELETE a thread (soft).</summary>
    public static async Task<IResult> DeleteThread(string threadId, HttpRequest request, HttpResponse response, CurrentUser user, ThreadStore store, CancellationToken cancellationToken)
    {
        if (InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var result = await UpdateAsync(threadId, ifMatch, response, user, store, (t, now) => t.IsDeleted ? null : t with { DeletedAt = now }, cancellationToken);
        return result is IStatusCodeHttpResult { StatusCode: 200 } ? TypedResults.NoContent() : result;
    }

    /// <summary>
    /// POST restore of a soft-deleted thread (a live thread is returned unchanged), within the user's retention of
    /// deleted threads: the one the retention sweep purges by, so a thread is restorable exactly until it is due.
    /// </summary>
    public static async Task<IResult> RestoreThread(string threadId, HttpResponse response, CurrentUser user, ThreadStore store, ExpiryIndex expiry, CancellationToken cancellationToken)
    {
        if (InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var window = await expiry.RetentionOfAsync(user.Partition, RetentionRules.DeletedThread, cancellationToken);
        return await UpdateAsync(threadId, null, response, user, store, (t, now) => t.DeletedAt is not { } deletedAt ? t : deletedAt + window > now ? t with { DeletedAt = null } : null, cancellationToken);
    }

    /// <summary>GET the threads: <c>sort=recent|created</c>, <c>archived=true|false|any</c> (default false), <c>starred=true|false</c>, <c>deleted=true</c> for the trash.</summary>
    public static async Task<IResult> ListThreads(HttpRequest request, CurrentUser user, ThreadStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: true, out var query, out var problem))
        {
            return problem!;
        }

        var errors = new Dictionary<string, string[]>();
        if (!query.Descending)
        {
            errors["order"] = ["Threads are listed newest first only: use order=desc or leave it out."];
        }

        var sort = request.Query["sort"].ToString() switch
        {
            "" or "recent" => ThreadOrder.Recent,
            "created" => ThreadOrder.Created,
            _ => (ThreadOrder?)null,
        };
        if (sort is null)
        {
            errors["sort"] = ["sort must be 'recent' or 'created'."];
        }

        var archived = Flag(errors, request, "archived", defaultValue: false, allowAny: true);
        var starred = Flag(errors, request, "starred", defaultValue: null, allowAny: true);
        var deleted = Flag(errors, request, "deleted", defaultValue: false, allowAny: false) ?? false;
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var filter = new ThreadFilter(deleted ? null : archived, starred, deleted);
        var scope = $"threads:{sort}:{filter.Archived}:{filter.Starred}:{filter.Deleted}";
        string? after = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out after))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition, sort!.Value, filter, query.Limit, after, cancellationToken);

        // The cursor carries our own resume-after row key (signed, bound to the user and this list), not a service continuation.
        var cursor = cursors.Protect(user.UserId, scope, next);
        return TypedResults.Ok(new ListPage<ThreadView>(items.Select(ThreadView.From).ToList(), cursor));
    }

    /// <summary>GET a thread's summary.</summary>
    public static async Task<IResult> GetSummary(string threadId, HttpResponse response, CurrentUser user, ThreadStore threads, SummaryStore summaries, CancellationToken cancellationToken)
    {
        if (InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var thread = await threads.GetAsync(user.Partition, threadId, cancellationToken);
        var summary = thread is null || thread.IsDeleted ? null : await summaries.GetAsync(user.Partition, threadId, cancellationToken);
        if (summary is null)
        {
            return Problems.NotFound("summary");
        }

        ETagHeaders.Set(response, summary.ETag);
        return TypedResults.Ok(SummaryView.From(summary));
    }

    /// <summary>PUT a thread's summary.</summary>
    public static async Task<IResult> PutSummary(string threadId, SummaryWrite body, HttpRequest request, HttpResponse response, CurrentUser user, ThreadStore threads, SummaryStore summaries, CancellationToken cancellationToken)
    {
        if (InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        if (body.Text is null)
        {
            errors["text"] = ["text is required."];
        }

        ConversationValidation.Text(errors, "text", body.Text, ConversationLimits.MaxSummaryChars);
        if (body.CoversSequence is not >= 0)
        {
            errors["coversSequence"] = ["coversSequence is required and at least 0."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var thread = await threads.GetAsync(user.Partition, threadId, cancellationToken);
        if (thread is null || thread.IsDeleted)
        {
            return Problems.NotFound("thread");
        }

        if (body.CoversSequence >= thread.NextSequence)
        {
            return Problems.Validation("coversSequence", $"coversSequence must be at most the thread's last sequence number ({thread.NextSequence - 1}).");
        }

        SummaryRecord summary;
        try
        {
            summary = await summaries.PutAsync(user.Partition, threadId, body.Text!, body.CoversSequence!.Value, ifMatch, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404 && ifMatch is not null)
        {
            return Problems.PreconditionFailed();
        }

        ETagHeaders.Set(response, summary.ETag);
        return TypedResults.Ok(SummaryView.From(summary));
    }

    /// <summary>A 400 for a thread id that cannot exist, else null.</summary>
    internal static IResult? InvalidId(string threadId) => ConversationValidation.IsThreadId(threadId)
        ? null
        : Problems.Validation("threadId", "A thread id is 1 to 64 characters: letters, digits, '_' or '-'.");

    private static async Task<IResult> CreateAsync(
        string operation, byte[] canonical, ThreadRecord thread, HttpRequest request, HttpResponse response, CurrentUser user, ThreadStore store, IdempotencyKeys keys, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var idempotency = await keys.BeginAsync(request, operation, canonical, cancellationToken);
        if (idempotency.Answer is { } answer)
        {
            return answer;
        }

        var location = $"/api/v1/threads/{thread.Id}";
        var view = ThreadView.From(thread);
        var record = idempotency.Write?.Record(StatusCodes.Status201Created, JsonSerializer.Serialize(view, json.Value.SerializerOptions), location);
        try
        {
            thread = await store.CreateAsync(user.Partition, thread, record, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409 && e.FailedActionIndex() == 3 && idempotency.Write is { } write)
        {
            return await keys.AnswerAfterRaceAsync(write, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return Problems.Conflict("A thread with this id already exists.");
        }

        ETagHeaders.Set(response, thread.ETag);
        return TypedResults.Created(location, view);
    }

    private static async Task<IResult> UpdateAsync(
        string threadId, ETag? ifMatch, HttpResponse response, CurrentUser user, ThreadStore store, Func<ThreadRecord, DateTimeOffset, ThreadRecord?> change, CancellationToken cancellationToken)
    {
        ThreadRecord? updated;
        try
        {
            updated = await store.UpdateAsync(user.Partition, threadId, ifMatch, change, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return Problems.PreconditionFailed();
        }

        if (updated is null)
        {
            return Problems.NotFound("thread");
        }

        ETagHeaders.Set(response, updated.ETag);
        return TypedResults.Ok(ThreadView.From(updated));
    }

    private static bool? Flag(Dictionary<string, string[]> errors, HttpRequest request, string name, bool? defaultValue, bool allowAny)
    {
        var text = request.Query[name].ToString();
        switch (text)
        {
            case "":
                return defaultValue;
            case "true":
                return true;
            case "false":
                return false;
            case "any" when allowAny:
                return null;
            default:
                errors[name] = [allowAny ? $"{name} must be true, false or any." : $"{name} must be true or false."];
                return defaultValue;
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
