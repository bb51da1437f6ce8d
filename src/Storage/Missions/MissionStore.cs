using Azure;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Missions;

/// <summary>
/// Mission rows (<c>mission|{id}</c>) and run rows (<c>mrun|{id}|{invertedTicks}|{attemptId}</c>) in the
/// user table. Maps records to columns and carries ETags through; callers decide what is valid.
/// </summary>
public sealed class MissionStore(TableClient table)
{
    private static readonly string[] KeyOnly = ["RowKey"];

    /// <summary>Reads one mission, or null.</summary>
    public async Task<MissionRecord?> GetAsync(string userKey, string missionId, CancellationToken cancellationToken)
    {
        var entity = await table.GetAsync(userKey, UserRowKeys.ForMission(missionId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ToRecord(entity);
    }

    /// <summary>Creates a mission; 409 if the id exists.</summary>
    /// <exception cref="StorageException">409 when the row exists.</exception>
    public async Task<MissionRecord> InsertAsync(string userKey, string missionId, string definitionJson, MissionState state, CancellationToken cancellationToken)
    {
        var etag = await table.InsertAsync(ToEntity(userKey, missionId, definitionJson, state), cancellationToken).ConfigureAwait(false);
        return new MissionRecord(missionId, definitionJson, state, etag);
    }

    /// <summary>Creates up to 100 missions of one user in one entity group transaction (imports, benchmarks): all or none.</summary>
    /// <exception cref="StorageException">409 when one of the ids exists.</exception>
    public async Task InsertBatchAsync(string userKey, IReadOnlyList<(string Id, string DefinitionJson, MissionState State)> missions, CancellationToken cancellationToken)
    {
        var actions = missions.Select(m => new TableTransactionAction(TableActionType.Add, ToEntity(userKey, m.Id, m.DefinitionJson, m.State))).ToList();
        await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces a mission if it still has version <paramref name="ifMatch"/> (<see cref="ETag.All"/>: if it exists).</summary>
    /// <exception cref="StorageException">404 or 412 when the condition fails.</exception>
    public async Task<MissionRecord> ReplaceAsync(string userKey, string missionId, string definitionJson, MissionState state, ETag ifMatch, CancellationToken cancellationToken)
    {
        var etag = await table.ReplaceAsync(ToEntity(userKey, missionId, definitionJson, state), ifMatch, cancellationToken).ConfigureAwait(false);
        return new MissionRecord(missionId, definitionJson, state, etag);
    }

    /// <summary>Deletes a mission; false when it did not exist. Its run rows stay until an erasure sweep.</summary>
    /// <exception cref="StorageException">412 when <paramref name="ifMatch"/> is stale.</exception>
    public Task<bool> DeleteAsync(string userKey, string missionId, ETag ifMatch, CancellationToken cancellationToken) =>
        table.DeleteAsync(userKey, UserRowKeys.ForMission(missionId), ifMatch, cancellationToken);

    /// <summary>One page of the user's missions in id order.</summary>
    public async Task<(IReadOnlyList<MissionRecord> Items, TableContinuation? Next)> ListAsync(string userKey, int limit, TableContinuation? after, CancellationToken cancellationToken)
    {
        var page = await table.QueryPageAsync(ODataFilter.RowKeyStartsWith(userKey, UserRowKeys.Missions), limit, after, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ToRecord).ToList(), page.Continuation);
    }

    /// <summary>Counts the user's missions, stopping at <paramref name="atMost"/> (quota checks need no more).</summary>
    public async Task<int> CountAsync(string userKey, int atMost, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var page in table.QueryAsync(ODataFilter.RowKeyStartsWith(userKey, UserRowKeys.Missions), KeyOnly, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            count += page.Entities.Count;
            if (count >= atMost)
            {
                break;
            }
        }

        return count;
    }

    /// <summary>Writes one run-log row (insert-or-replace, so a retried write after a lost response is harmless).</summary>
    public async Task AddRunAsync(string userKey, MissionRunRecord run, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(userKey, UserRowKeys.ForMissionRun(run.MissionId, run.StartedAt, run.AttemptId))
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
        };
        await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One page of a mission's run log, newest first.</summary>
    public async Task<(IReadOnlyList<MissionRunRecord> Items, TableContinuation? Next)> ListRunsAsync(string userKey, string missionId, int limit, TableContinuation? after, CancellationToken cancellationToken)
    {
        var page = await table.QueryPageAsync(ODataFilter.RowKeyStartsWith(userKey, UserRowKeys.MissionRunsOf(missionId)), limit, after, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(e => ToRun(missionId, e)).ToList(), page.Continuation);
    }

    private static MissionRunRecord ToRun(string missionId, TableEntity e) => new(
        missionId,
        KeyEncoding.Split(e.RowKey)[3],
        e.GetString("FiringId") ?? string.Empty,
        e.GetDateTimeOffset("StartedAt") ?? DateTimeOffset.MinValue,
        e.GetDateTimeOffset("ScheduledAt") ?? DateTimeOffset.MinValue,
        e.GetInt32("Attempt") ?? 1,
        e.GetInt64("DurationMs") ?? 0,
        e.GetString("Status") ?? "failed",
        e.GetInt32("HttpStatus"),
        e.GetString("Error"),
        e.GetString("ResponseExcerpt"),
        e.GetBoolean("Manual") ?? false);

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
                : new PendingFiring(pendingId, e.GetDateTimeOffset("PendingScheduledAt") ?? DateTimeOffset.MinValue, e.GetInt32("PendingAttempt") ?? 1, e.GetBoolean("PendingManual") ?? false),
            SecretCipher = e.GetString("SecretCipher"),
            PreviousSecretCipher = e.GetString("PreviousSecretCipher"),
            PreviousSecretExpiresAt = e.GetDateTimeOffset("PreviousSecretExpiresAt"),
        };
        return new MissionRecord(KeyEncoding.Split(e.RowKey)[1], e.GetString("Definition") ?? "{}", state, e.ETag);
    }
}
