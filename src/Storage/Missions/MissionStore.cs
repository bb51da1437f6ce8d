using Azure.Data.Tables;
using Azure;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Missions;

/// <summary>
/// Mission rows (<c>mission|{id}</c>) and run rows (<c>mrun|{id}|{invertedTicks}|{attemptId}</c>) in the
/// user table, and the run's stored response bodies in the payload container under
/// <see cref="ResponseBlobPrefix"/>. Maps records to columns and carries ETags through; callers decide what is valid.
/// </summary>
public sealed class MissionStore(TableClient table, PayloadStore payloads, ExpiryIndex expiry)
{
    /// <summary>The content type recorded for a stored body whose receiver named none.</summary>
    public const string DefaultResponseContentType = "application/octet-stream";

    /// <summary>The column prefix of a run's response (<c>ResponseBlob</c>, <c>ResponseCodec</c>, ...), as messages store their blobs.</summary>
    internal const string ResponseColumns = "Response";

    private const string Response = ResponseColumns;

    private static readonly string[] KeyOnly = ["RowKey"];

    /// <summary>Reads one mission, or null.</summary>
    public async Task<MissionRecord?> GetAsync(string userKey, string missionId, CancellationToken cancellationToken)
    {
        var entity = await table.FindAsync(userKey, UserRowKeys.ForMission(missionId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ToRecord(entity);
    }

    /// <summary>Creates a mission; 409 if the id exists.</summary>
    /// <param name="userKey">The user's partition key.</param>
    /// <param name="missionId">The new mission's id.</param>
    /// <param name="definitionJson">The definition.</param>
    /// <param name="state">The initial state.</param>
    /// <param name="alsoWrite">A row of the same user to write in the same entity group transaction (an idempotency record), or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="RequestFailedException">409 when a row exists (<see cref="StorageWrites.FailedActionIndex"/> says which: 0 the mission, 1 <paramref name="alsoWrite"/>).</exception>
    public async Task<MissionRecord> InsertAsync(string userKey, string missionId, string definitionJson, MissionState state, TableTransactionAction? alsoWrite, CancellationToken cancellationToken)
    {
        var entity = ToEntity(userKey, missionId, definitionJson, state);
        var etag = alsoWrite is null
            ? await table.InsertAsync(entity, cancellationToken).ConfigureAwait(false)
            : (await table.SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, entity), alsoWrite], cancellationToken).ConfigureAwait(false))[0] ?? default;
        return new MissionRecord(missionId, definitionJson, state, etag);
    }

    /// <summary>Creates up to 100 missions of one user in one entity group transaction (imports, benchmarks): all or none.</summary>
    /// <exception cref="RequestFailedException">409 when one of the ids exists.</exception>
    public async Task InsertBatchAsync(string userKey, IReadOnlyList<(string Id, string DefinitionJson, MissionState State)> missions, CancellationToken cancellationToken)
    {
        var actions = missions.Select(m => new TableTransactionAction(TableTransactionActionType.Add, ToEntity(userKey, m.Id, m.DefinitionJson, m.State))).ToList();
        await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces a mission if it still has version <paramref name="ifMatch"/> (<see cref="ETag.All"/>: if it exists).</summary>
    /// <exception cref="RequestFailedException">404 or 412 when the condition fails.</exception>
    public async Task<MissionRecord> ReplaceAsync(string userKey, string missionId, string definitionJson, MissionState state, ETag ifMatch, CancellationToken cancellationToken)
    {
        var etag = await table.ReplaceAsync(ToEntity(userKey, missionId, definitionJson, state), ifMatch, cancellationToken).ConfigureAwait(false);
        return new MissionRecord(missionId, definitionJson, state, etag);
    }

    /// <summary>
    /// Deletes a mission; false when it did not exist. Its run rows, and the response blobs they reference (under
    /// <see cref="ResponseBlobPrefix"/>), go later: a run log can hold any number of rows, more than one request should
    /// delete, so the delete schedules their purge in the expiry index (<see cref="RetentionRules.DeletedMission"/>)
    /// before it removes the mission row. Mission ids are never reused, so a new mission never shows them.
    /// </summary>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is stale.</exception>
    public async Task<bool> DeleteAsync(string userKey, string missionId, ETag ifMatch, CancellationToken cancellationToken)
    {
        var rowKey = UserRowKeys.ForMission(missionId);
        if (await table.FindAsync(userKey, rowKey, KeyOnly, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        // Index first: if the delete then fails, the sweep finds the mission still there and drops the entry.
        await expiry.ScheduleAsync(UserPartition.FromKey(userKey), RetentionRules.DeletedMission, missionId, expiry.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return await table.DeleteRowAsync(userKey, rowKey, ifMatch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One page of the user's missions in id order.</summary>
    public async Task<(IReadOnlyList<MissionRecord> Items, string? Next)> ListAsync(string userKey, int limit, string? after, CancellationToken cancellationToken)
    {
        var page = await table.ReadPageAsync(TableFilters.RowKeyStartsWith(userKey, UserRowKeys.Missions), limit, after, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ToRecord).ToList(), page.Continuation);
    }

    /// <summary>Counts the user's missions, stopping at <paramref name="atMost"/> (quota checks need no more).</summary>
    public async Task<int> CountAsync(string userKey, int atMost, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var page in table.QueryAsync<TableEntity>(TableFilters.RowKeyStartsWith(userKey, UserRowKeys.Missions), select: KeyOnly, cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            count += page.Values.Count;
            if (count >= atMost)
            {
                break;
            }
        }

        return count;
    }

    /// <summary>A fresh run id for an attempt started at <paramref name="startedAt"/> (newer ids sort first in the run log).</summary>
    public static string NewRunId(DateTimeOffset startedAt) => UserRowKeys.MissionRunId(startedAt, Guid.NewGuid().ToString("N"));

    /// <summary>
    /// The blob name prefix of a mission's stored response bodies: under the user's prefix, so retention and erasure
    /// find a user's blobs (including orphans of a run row that was never written) by listing it.
    /// </summary>
    public static string ResponseBlobPrefix(string userKey, string missionId) => UserBlobNames.Folder(userKey, UserBlobNames.MissionResponses, missionId);

    /// <summary>
    /// Stores a captured response body as a compressed blob under <see cref="ResponseBlobPrefix"/>. Call it before
    /// <see cref="AddRunAsync"/> writes the row that references it, so no row ever points at a missing blob; a blob
    /// whose row is then never written is an orphan for retention, never a corruption.
    /// </summary>
    /// <param name="userKey">The user's partition key.</param>
    /// <param name="missionId">The mission.</param>
    /// <param name="body">The captured bytes.</param>
    /// <param name="contentType">The receiver's content type, or null for <see cref="DefaultResponseContentType"/>.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <exception cref="RequestFailedException">The upload failed.</exception>
    public async Task<PayloadReference> SaveResponseAsync(string userKey, string missionId, byte[] body, string? contentType, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(body, writable: false);
        return await payloads.WriteAsync(ResponseBlobPrefix(userKey, missionId), content, contentType ?? DefaultResponseContentType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a run's stored response body, inflated and checked against its recorded length and hash.</summary>
    /// <exception cref="RequestFailedException">404 when the blob is gone.</exception>
    public Task<Stream> OpenResponseAsync(PayloadReference body, CancellationToken cancellationToken) => payloads.OpenReadAsync(body, cancellationToken);

    /// <summary>Writes one run-log row (insert-or-replace, so a retried write after a lost response is harmless).</summary>
    /// <exception cref="ArgumentException"><see cref="MissionRunRecord.RunId"/> is not a run id (<see cref="NewRunId"/>).</exception>
    public async Task AddRunAsync(string userKey, MissionRunRecord run, CancellationToken cancellationToken)
    {
        var rowKey = UserRowKeys.ForMissionRun(run.MissionId, run.RunId) ?? throw new ArgumentException($"'{run.RunId}' is not a run id.", nameof(run));
        var entity = new TableEntity(userKey, rowKey)
        {
            ["FiringId"] = run.FiringId,
            ["StartedAt"] = run.StartedAt,
            ["ScheduledAt"] = run.ScheduledAt,
            ["Attempt"] = run.Attempt,
            ["DurationMs"] = run.DurationMs,
            ["Status"] = run.Status,
            ["HttpStatus"] = run.HttpStatus,
            ["Error"] = run.Error,
            ["ResponseExcerpt"] = run.ResponseExcerpt,
            ["Manual"] = run.Manual,
            [Response + "Bytes"] = run.ResponseBytes,
            [Response + "Truncated"] = run.ResponseTruncated,
            [Response + "Type"] = run.ResponseContentType,
        };
        if (run.ResponseBody is { } body)
        {
            // Its Bytes and Type columns are the captured length and content type, which the row keeps even without a blob.
            PayloadColumns.Write(entity, Response, body);
        }

        await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one run of a mission by its id, or null (also for a malformed id).</summary>
    public async Task<MissionRunRecord?> GetRunAsync(string userKey, string missionId, string runId, CancellationToken cancellationToken)
    {
        if (UserRowKeys.ForMissionRun(missionId, runId) is not { } rowKey)
        {
            return null;
        }

        var entity = await table.FindAsync(userKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ToRun(missionId, entity);
    }

    /// <summary>One page of a mission's run log, newest first.</summary>
    public async Task<(IReadOnlyList<MissionRunRecord> Items, string? Next)> ListRunsAsync(string userKey, string missionId, int limit, string? after, CancellationToken cancellationToken)
    {
        var page = await table.ReadPageAsync(TableFilters.RowKeyStartsWith(userKey, UserRowKeys.MissionRunsOf(missionId)), limit, after, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(e => ToRun(missionId, e)).ToList(), page.Continuation);
    }

    private static MissionRunRecord ToRun(string missionId, TableEntity e) => new(
        missionId,
        UserRowKeys.MissionRunIdOf(e.RowKey),
        e.GetString("FiringId") ?? string.Empty,
        e.GetDateTimeOffset("StartedAt") ?? DateTimeOffset.MinValue,
        e.GetDateTimeOffset("ScheduledAt") ?? DateTimeOffset.MinValue,
        e.GetInt32("Attempt") ?? 1,
        e.GetInt64("DurationMs") ?? 0,
        e.GetString("Status") ?? "failed",
        e.GetInt32("HttpStatus"),
        e.GetString("Error"),
        e.GetString("ResponseExcerpt"),
        e.GetBoolean("Manual") ?? false,
        e.GetInt64(Response + "Bytes"),
        e.GetBoolean(Response + "Truncated") ?? false,
        e.GetString(Response + "Type"),
        PayloadColumns.Read(e, Response));

    private static TableEntity ToEntity(string userKey, string missionId, string definitionJson, MissionState s) =>
        new(userKey, UserRowKeys.ForMission(missionId))
        {
            ["Definition"] = definitionJson,
            ["Enabled"] = s.Enabled,
            ["PausedReason"] = s.PausedReason,
            ["CreatedAt"] = s.CreatedAt,
            ["UpdatedAt"] = s.UpdatedAt,
            ["RunCount"] = s.RunCount,
            ["SuccessCount"] = s.SuccessCount,
            ["FailureCount"] = s.FailureCount,
            ["LastRunAt"] = s.LastRunAt,
            ["LastRunStatus"] = s.LastRunStatus,
            ["NextRunAt"] = s.NextRunAt,
            ["DueAt"] = s.DueAt,
            ["PendingFiringId"] = s.Pending?.FiringId,
            ["PendingScheduledAt"] = s.Pending?.ScheduledAt,
            ["PendingAttempt"] = s.Pending?.Attempt,
            ["PendingManual"] = s.Pending?.Manual,
            ["PendingDelivering"] = s.Pending?.Delivering,
            ["SecretCipher"] = s.SecretCipher,
            ["PreviousSecretCipher"] = s.PreviousSecretCipher,
            ["PreviousSecretExpiresAt"] = s.PreviousSecretExpiresAt,
        };

    private static MissionRecord ToRecord(TableEntity e)
    {
        var pendingId = e.GetString("PendingFiringId");
        var state = new MissionState
        {
            Enabled = e.GetBoolean("Enabled") ?? false,
            PausedReason = e.GetString("PausedReason"),
            CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
            UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            RunCount = e.GetInt64("RunCount") ?? 0,
            SuccessCount = e.GetInt64("SuccessCount") ?? 0,
            FailureCount = e.GetInt64("FailureCount") ?? 0,
            LastRunAt = e.GetDateTimeOffset("LastRunAt"),
            LastRunStatus = e.GetString("LastRunStatus"),
            NextRunAt = e.GetDateTimeOffset("NextRunAt"),
            DueAt = e.GetDateTimeOffset("DueAt"),
            Pending = pendingId is null
                ? null
                : new PendingFiring(
                    pendingId, e.GetDateTimeOffset("PendingScheduledAt") ?? DateTimeOffset.MinValue, e.GetInt32("PendingAttempt") ?? 1, e.GetBoolean("PendingManual") ?? false,
                    e.GetBoolean("PendingDelivering") ?? false),
            SecretCipher = e.GetString("SecretCipher"),
            PreviousSecretCipher = e.GetString("PreviousSecretCipher"),
            PreviousSecretExpiresAt = e.GetDateTimeOffset("PreviousSecretExpiresAt"),
        };
        return new MissionRecord(KeyEncoding.Split(e.RowKey)[1], e.GetString("Definition") ?? "{}", state, e.ETag);
    }
}
