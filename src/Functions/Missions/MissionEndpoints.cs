using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage;
using Serverless.Storage.Missions;
using Serverless.Storage.Tables;

namespace Serverless.Functions.Missions;

/// <summary>
/// Scheduled webhooks: <c>/api/v1/missions</c> (CRUD with ETags), <c>…/{id}/rotate-secret</c>,
/// <c>…/{id}/run</c>, <c>…/{id}/runs</c> and <c>…/{id}/runs/{runId}/response</c>. Every route reads and writes only the
/// caller's partition, so another user's mission is 404 whatever the verb.
/// </summary>
public static partial class MissionEndpoints
{
    /// <summary>Tries for writes that were not given If-Match and lost a race with the scheduler.</summary>
    private const int WriteTries = 3;

    /// <summary>The missions, relative to the <c>api</c> route prefix (as the functions' routes are).</summary>
    public const string MissionsRoute = "v1/missions";

    /// <summary>One mission.</summary>
    public const string MissionRoute = "v1/missions/{id}";

    /// <summary>A mission's secret rotation.</summary>
    public const string RotateSecretRoute = "v1/missions/{id}/rotate-secret";

    /// <summary>A mission's manual run.</summary>
    public const string RunRoute = "v1/missions/{id}/run";

    /// <summary>A mission's run log.</summary>
    public const string RunsRoute = "v1/missions/{id}/runs";

    /// <summary>A run's stored response body.</summary>
    public const string RunResponseRoute = "v1/missions/{id}/runs/{runId}/response";

    /// <summary>Maps the mission operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var missions = api.MapGroup(string.Empty).WithTags("Missions");
        missions.MapGet(MissionsRoute, ListMissions).WithName(nameof(MissionFunctions.ListMissions)).WithSummary("Lists the user's missions.")
            .Answers<ListPage<MissionView>>().WithListQuery(ListOrder.AscendingOnly).ProducesProblems(400);
        missions.MapPost(MissionsRoute, CreateMission).WithName(nameof(MissionFunctions.CreateMission)).WithSummary("Creates a mission; the answer holds its signing secret, shown only this once.")
            .Reads<MissionWrite>().Answers<MissionWithSecret>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.Location).ProducesProblems(400, 409);
        missions.MapGet(MissionRoute, GetMission).WithName(nameof(MissionFunctions.GetMission)).WithSummary("Reads one mission.")
            .Answers<MissionView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(404);
        missions.MapPut(MissionRoute, PutMission).WithName(nameof(MissionFunctions.PutMission)).WithSummary("Replaces a mission's definition (If-Match honoured).")
            .Reads<MissionWrite>().Answers<MissionView>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
        missions.MapDelete(MissionRoute, DeleteMission).WithName(nameof(MissionFunctions.DeleteMission)).WithSummary("Deletes a mission (If-Match honoured).")
            .AnswersNoContent().WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
        missions.MapPost(RotateSecretRoute, RotateSecret).WithName(nameof(MissionFunctions.RotateMissionSecret))
            .WithSummary("Issues a new signing secret; the old one keeps signing during the grace period.")
            .Answers<MissionWithSecret>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
        missions.MapPost(RunRoute, RunMission).WithName(nameof(MissionFunctions.RunMission)).WithSummary("Fires the mission now and returns the attempt.")
            .Answers<MissionRunView>().ProducesProblems(404, 409);
        missions.MapGet(RunsRoute, ListRuns).WithName(nameof(MissionFunctions.ListMissionRuns)).WithSummary("Lists the mission's run log, newest first.")
            .Answers<ListPage<MissionRunView>>().WithListQuery(ListOrder.DescendingOnly).ProducesProblems(400, 404);
        missions.MapGet(RunResponseRoute, GetRunResponse).WithName(nameof(MissionFunctions.GetMissionRunResponse))
            .WithSummary("Streams the response body a run stored (hasResponseBody), as captured, with the receiver's content type.")
            .AnswersBytes().ProducesProblems(404);
    }

    /// <summary>GET the user's missions.</summary>
    public static async Task<IResult> ListMissions(HttpRequest request, CurrentUser user, MissionStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: false, out var query, out var problem))
        {
            return problem!;
        }

        if (query.Descending)
        {
            return Problems.Validation("order", "Missions are listed in id order only: use order=asc or leave it out.");
        }

        const string scope = "missions";
        string? after = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out after))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition.Key, query.Limit, after, cancellationToken);
        return TypedResults.Ok(new ListPage<MissionView>(items.Select(MissionView.From).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    /// <summary>POST a new mission.</summary>
    public static async Task<IResult> CreateMission(MissionWrite body, HttpResponse response, CurrentUser user, MissionStore store, MissionFiring firing,
        MissionSecretProtector protector, IOptions<MissionOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var definition = MissionValidator.Validate(body, options.Value, now, now, out var errors);
        if (definition is null)
        {
            return Problems.Validation(errors);
        }

        var userKey = user.Partition.Key;
        // Counted, not reserved: two racing creates can pass together, overshooting by at most the race width.
        if (await store.CountAsync(userKey, options.Value.MaxMissionsPerUser, cancellationToken) >= options.Value.MaxMissionsPerUser)
        {
            return Problems.Conflict($"The mission quota ({options.Value.MaxMissionsPerUser}) is reached; delete a mission first.");
        }

        var id = Guid.NewGuid().ToString("N");
        var secret = WebhookSignature.NewSecret();
        var enabled = body.Enabled ?? true;
        var nextRunAt = definition.Schedule(now).NextAfter(now);
        var state = new MissionState
        {
            Enabled = enabled,
            CreatedAt = now,
            UpdatedAt = now,
            NextRunAt = nextRunAt,
            DueAt = enabled ? nextRunAt : null,
            SecretCipher = protector.Protect(secret, userKey, id),
        };
        if (state.DueAt is { } dueAt)
        {
            await firing.IndexAsync(userKey, id, dueAt, cancellationToken);
        }

        var record = await store.InsertAsync(userKey, id, definition.ToJson(), state, cancellationToken);
        ETagHeaders.Set(response, record.ETag);
        return TypedResults.Created($"/api/v1/missions/{id}", new MissionWithSecret(MissionView.From(record), WebhookSignature.Format(secret)));
    }

    /// <summary>GET one mission.</summary>
    public static async Task<IResult> GetMission(string id, HttpResponse response, CurrentUser user, MissionStore store, CancellationToken cancellationToken)
    {
        var record = ValidId(id) ? await store.GetAsync(user.Partition.Key, id, cancellationToken) : null;
        if (record is null)
        {
            return Problems.NotFound("mission");
        }

        ETagHeaders.Set(response, record.ETag);
        return TypedResults.Ok(MissionView.From(record));
    }

    /// <summary>PUT a mission's definition. Counters, secret and an in-flight firing are kept; the next run is recomputed from now.</summary>
    public static async Task<IResult> PutMission(string id, MissionWrite body, HttpRequest request, HttpResponse response, CurrentUser user, MissionStore store, MissionFiring firing,
        IOptions<MissionOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        IResult? invalid = null;
        var result = await UpdateAsync(id, ifMatch, user, store, firing, (record, now) =>
        {
            var definition = MissionValidator.Validate(body, options.Value, record.State.CreatedAt, now, out var errors);
            if (definition is null)
            {
                invalid = Problems.Validation(errors);
                return null;
            }

            var enabled = body.Enabled ?? record.State.Enabled;
            var nextRunAt = definition.Schedule(record.State.CreatedAt).NextAfter(now);
            var pending = enabled ? record.State.Pending : null;
            var state = record.State with
            {
                Enabled = enabled,
                PausedReason = enabled ? null : record.State.PausedReason,
                UpdatedAt = now,
                NextRunAt = nextRunAt,
                Pending = pending,
                DueAt = pending is not null ? record.State.DueAt : enabled ? nextRunAt : null,
            };
            return (definition.ToJson(), state);
        }, cancellationToken);
        return invalid ?? Respond(result, response, r => TypedResults.Ok(MissionView.From(r)));
    }

    /// <summary>
    /// DELETE a mission. Its index rows go stale (harmless). Its run log, with the response blobs the rows reference,
    /// stays for retention or the erasure sweep (see <see cref="MissionStore.DeleteAsync"/>); every route answers 404 for it from now on.
    /// </summary>
    public static async Task<IResult> DeleteMission(string id, HttpRequest request, CurrentUser user, MissionStore store, CancellationToken cancellationToken)
    {
        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        if (!ValidId(id))
        {
            return Problems.NotFound("mission");
        }

        try
        {
            return await store.DeleteAsync(user.Partition.Key, id, ifMatch ?? ETag.All, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound("mission");
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return Problems.PreconditionFailed();
        }
    }

    /// <summary>
    /// POST rotate-secret: returns the new secret once; the old one signs too until the grace period ends. It needs no old
    /// secret: one that no longer decrypts (its key is gone) is dropped, which is how such a mission is recovered.
    /// </summary>
    public static async Task<IResult> RotateSecret(string id, HttpRequest request, HttpResponse response, CurrentUser user, MissionStore store, MissionFiring firing,
        MissionSecretProtector protector, IOptions<MissionOptions> options, CancellationToken cancellationToken)
    {
        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var secret = WebhookSignature.NewSecret();
        var result = await UpdateAsync(id, ifMatch, user, store, firing, (record, now) =>
        {
            var keep = record.State.SecretCipher is { } current && protector.CanUnprotect(current, user.Partition.Key, id);
            return (record.DefinitionJson, record.State with
            {
                SecretCipher = protector.Protect(secret, user.Partition.Key, id),
                PreviousSecretCipher = keep ? record.State.SecretCipher : null,
                PreviousSecretExpiresAt = keep ? now + options.Value.SecretRotationGrace : null,
            });
        }, cancellationToken);
        return Respond(result, response, r => TypedResults.Ok(new MissionWithSecret(MissionView.From(r), WebhookSignature.Format(secret))));
    }

    /// <summary>POST run: one attempt now, answered with its run-log entry.</summary>
    public static async Task<IResult> RunMission(string id, CurrentUser user, MissionFiring firing, CancellationToken cancellationToken)
    {
        var result = ValidId(id) ? await firing.FireNowAsync(user.Partition.Key, id, cancellationToken) : null;
        return result switch
        {
            null => Problems.NotFound("mission"),
            { Run: { } run } => TypedResults.Ok(MissionRunView.From(run)),
            _ => Problems.Conflict("A firing of this mission is in flight; try again when it has finished."),
        };
    }

    /// <summary>GET the run log.</summary>
    public static async Task<IResult> ListRuns(string id, HttpRequest request, CurrentUser user, MissionStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: true, out var query, out var problem))
        {
            return problem!;
        }

        if (!query.Descending)
        {
            return Problems.Validation("order", "Runs are listed newest first only: use order=desc or leave it out.");
        }

        if (!ValidId(id) || await store.GetAsync(user.Partition.Key, id, cancellationToken) is null)
        {
            return Problems.NotFound("mission");
        }

        var scope = "mission-runs:" + id;
        string? after = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out after))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListRunsAsync(user.Partition.Key, id, query.Limit, after, cancellationToken);
        return TypedResults.Ok(new ListPage<MissionRunView>(items.Select(MissionRunView.From).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    /// <summary>
    /// GET a run's stored response body: the captured bytes (at most <c>Missions:MaxResponseBodyBytes</c>), streamed as
    /// stored, with the receiver's content type or <c>application/octet-stream</c>. 404 when the mission or run does not
    /// exist for this user, or the run stored no body (it fit in the excerpt, or no response arrived).
    /// </summary>
    public static async Task<IResult> GetRunResponse(string id, string runId, HttpResponse response, CurrentUser user, MissionStore store, CancellationToken cancellationToken)
    {
        var userKey = user.Partition.Key;
        // The mission is read too, as by the run list: runs of a deleted mission are not served.
        if (!ValidId(id) || await store.GetAsync(userKey, id, cancellationToken) is null)
        {
            return Problems.NotFound("mission");
        }

        var run = await store.GetRunAsync(userKey, id, runId, cancellationToken);
        if (run is null)
        {
            return Problems.NotFound("run");
        }

        if (run.ResponseBody is not { } body)
        {
            return Problems.Result(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found.",
                "This run stored no response body: it fit in the run's responseExcerpt, or no response arrived.");
        }

        Stream content;
        try
        {
            content = await store.OpenResponseAsync(body, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return Problems.Result(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found.", "This run's response body is no longer stored.");
        }

        response.ContentLength = body.RawBytes;
        // The receiver chose the content type; never let a browser sniff or run it as our origin's content.
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "sandbox";
        return TypedResults.Stream(content, ServedContentType(run.ResponseContentType));
    }

    private static string ServedContentType(string? stored) =>
        stored is not null && MediaTypeHeaderValue.TryParse(stored, out _) ? stored : MissionStore.DefaultResponseContentType;

    private enum UpdateStatus
    {
        Done,
        NotFound,
        PreconditionFailed,
        Rejected,
    }

    /// <summary>
    /// Read, change, write conditionally. With If-Match the client's version must be current (412 otherwise);
    /// without, a race with the scheduler's own writes is retried on a fresh read.
    /// </summary>
    private static async Task<(UpdateStatus Status, MissionRecord? Record)> UpdateAsync(string id, ETag? ifMatch, CurrentUser user, MissionStore store, MissionFiring firing,
        Func<MissionRecord, DateTimeOffset, (string DefinitionJson, MissionState State)?> change, CancellationToken cancellationToken)
    {
        if (!ValidId(id))
        {
            return (UpdateStatus.NotFound, null);
        }

        var userKey = user.Partition.Key;
        for (var attempt = 0; ; attempt++)
        {
            var record = await store.GetAsync(userKey, id, cancellationToken);
            if (record is null)
            {
                return (UpdateStatus.NotFound, null);
            }

            if (ifMatch is { } expected && expected != ETag.All && expected != record.ETag)
            {
                return (UpdateStatus.PreconditionFailed, null);
            }

            if (change(record, DateTimeOffset.UtcNow) is not { } next)
            {
                return (UpdateStatus.Rejected, null);
            }

            if (next.State.DueAt is { } dueAt)
            {
                await firing.IndexAsync(userKey, id, dueAt, cancellationToken);
            }

            try
            {
                return (UpdateStatus.Done, await store.ReplaceAsync(userKey, id, next.DefinitionJson, next.State, record.ETag, cancellationToken));
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return (UpdateStatus.NotFound, null);
            }
            catch (RequestFailedException e) when (e.Status == 412 && (ifMatch is not null && ifMatch != ETag.All || attempt + 1 >= WriteTries))
            {
                return (UpdateStatus.PreconditionFailed, null);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Lost to a scheduler write between our read and write; read again.
            }
        }
    }

    private static IResult Respond((UpdateStatus Status, MissionRecord? Record) result, HttpResponse response, Func<MissionRecord, IResult> ok)
    {
        switch (result.Status)
        {
            case UpdateStatus.Done:
                ETagHeaders.Set(response, result.Record!.ETag);
                return ok(result.Record);
            case UpdateStatus.PreconditionFailed:
                return Problems.PreconditionFailed();
            default:
                return Problems.NotFound("mission");
        }
    }

    /// <summary>Whether <paramref name="id"/> is a valid mission id (imports check bundles' missions with it).</summary>
    public static bool ValidId(string id) => MissionId().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex MissionId();
}
