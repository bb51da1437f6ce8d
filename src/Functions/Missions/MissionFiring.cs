using Azure;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Serverless.Functions.Integrations;
using Serverless.Storage;
using Serverless.Storage.Missions;
using Serverless.Storage.Payloads;

namespace Serverless.Functions.Missions;

/// <summary>How processing a due mission ended.</summary>
public enum FiringOutcome
{
    /// <summary>The index row no longer matches the mission (changed, deleted or already handled).</summary>
    Stale,

    /// <summary>Someone else changed the row first (another instance claimed it, or the user edited it).</summary>
    Lost,

    /// <summary>Nothing to fire (e.g. missed runs skipped); the next run was moved on.</summary>
    Rescheduled,

    /// <summary>An attempt was made and recorded.</summary>
    Delivered,

    /// <summary>"Run now" found a firing already in flight.</summary>
    Busy,

    /// <summary>The stored definition cannot be read: nothing was sent, and the mission was paused (on a tick) saying why.</summary>
    Unreadable,
}

/// <summary>The result of processing a mission.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="NextDueAt">The mission's new due time, when this call wrote one.</param>
/// <param name="Run">The run-log entry of the attempt, when one was made.</param>
/// <param name="Mission">The mission as read, when "run now" found it <see cref="FiringOutcome.Busy"/> (its pending firing says with what).</param>
public sealed record FiringResult(FiringOutcome Outcome, DateTimeOffset? NextDueAt = null, MissionRunRecord? Run = null, MissionRecord? Mission = null);

/// <summary>
/// Fires missions. Each attempt is claimed first by an ETag-conditional write of the mission row
/// (pending firing + lease as its due time, index row written before it), so two instances or a host
/// retry never deliver the same attempt twice; the claim's lease makes a crashed attempt come back after
/// it expires, with the same deterministic <c>webhook-id</c>.
/// </summary>
public sealed partial class MissionFiring(
    MissionStore store,
    DueIndexStore due,
    WebhookSender sender,
    MissionSecretProtector secrets,
    IntegrationSecrets integrations,
    IOptions<MissionOptions> options,
    TimeProvider time,
    ILogger<MissionFiring> logger)
{
    /// <summary>Added to the delivery timeout to get the claim's lease: time to record the result.</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromMinutes(1);

    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web);

    /// <summary>Why a mission whose stored definition cannot be read was paused, and the way out.</summary>
    public const string UnreadableDefinition = "The stored definition cannot be read; PUT a new definition to resume the mission.";

    private MissionOptions Options => options.Value;

    /// <summary>Processes the index row of mission <paramref name="missionId"/> due at <paramref name="expectedDueAt"/>.</summary>
    public async Task<FiringResult> ProcessDueAsync(string userKey, string missionId, DateTimeOffset expectedDueAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var mission = await store.GetAsync(userKey, missionId, cancellationToken);
        var state = mission?.State;
        if (mission is null || state!.DueAt?.UtcTicks != expectedDueAt.UtcTicks || expectedDueAt > now)
        {
            return new FiringResult(FiringOutcome.Stale);
        }

        if (!MissionDefinition.TryParse(mission.DefinitionJson, out var definition))
        {
            // Retrying cannot help; the mission says why until a PUT of a new definition enables it again.
            await RescheduleAsync(userKey, mission, state with { Enabled = false, PausedReason = UnreadableDefinition, Pending = null, DueAt = null }, cancellationToken);
            return new FiringResult(FiringOutcome.Unreadable);
        }

        if (state.Pending is { } pending)
        {
            // A retry, or a claim whose holder died before recording: same firing, next attempt.
            return await DeliverAsync(userKey, mission, definition, pending with { Attempt = pending.Attempt + 1 }, state.NextRunAt, now, cancellationToken);
        }

        if (!state.Enabled || state.NextRunAt is not { } nextRunAt)
        {
            return await RescheduleAsync(userKey, mission, state with { DueAt = null }, cancellationToken);
        }

        var plan = MissedRunPlanner.Plan(definition.Schedule(state.CreatedAt), nextRunAt, now, definition.MissedRunPolicy, definition.MaxCatchUp, Options.MissedRunGrace);
        if (plan.FireFor is not { } scheduledAt)
        {
            return await RescheduleAsync(userKey, mission, state with { NextRunAt = plan.NextRunAt, DueAt = plan.NextRunAt }, cancellationToken);
        }

        var firing = new PendingFiring(WebhookSignature.FiringId(missionId, scheduledAt, manual: false), scheduledAt, 1, Manual: false);
        return await DeliverAsync(userKey, mission, definition, firing, plan.NextRunAt, now, cancellationToken);
    }

    /// <summary>Fires a mission now, outside its schedule; null when it does not exist.</summary>
    public async Task<FiringResult?> FireNowAsync(string userKey, string missionId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var mission = await store.GetAsync(userKey, missionId, cancellationToken);
        if (mission is null)
        {
            return null;
        }

        if (mission.State.Pending is not null)
        {
            return new FiringResult(FiringOutcome.Busy, Mission: mission);
        }

        if (!MissionDefinition.TryParse(mission.DefinitionJson, out var definition))
        {
            return new FiringResult(FiringOutcome.Unreadable);
        }

        var firing = new PendingFiring(WebhookSignature.FiringId(missionId, now, manual: true), now, 1, Manual: true);
        return await DeliverAsync(userKey, mission, definition, firing, mission.State.NextRunAt, now, cancellationToken);
    }

    /// <summary>What is wrong with a secret that cannot be decrypted, and the way out; in the run log of each failed firing and on the mission.</summary>
    public static string UndecryptableSecret(string missionId, CryptographicException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return $"The signing secret cannot be decrypted: {e.Message}. POST /api/v1/missions/{missionId}/rotate-secret issues a new secret.";
    }

    /// <summary>Writes the index row for a due time; past due times go in the current bucket, which the next tick reads.</summary>
    public Task IndexAsync(string userKey, string missionId, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        due.PutAsync(userKey, missionId, dueAt, Max(dueAt, time.GetUtcNow()), cancellationToken);

    private async Task<FiringResult> RescheduleAsync(string userKey, MissionRecord mission, MissionState next, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(userKey, mission, next, cancellationToken);
            return new FiringResult(FiringOutcome.Rescheduled, next.DueAt);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return new FiringResult(FiringOutcome.Lost);
        }
    }

    private async Task<FiringResult> DeliverAsync(string userKey, MissionRecord mission, MissionDefinition definition, PendingFiring firing, DateTimeOffset? nextRunAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        MissionRecord claimed;
        try
        {
            var claim = mission.State with { Pending = firing with { Delivering = true }, NextRunAt = nextRunAt, DueAt = now + Options.DeliveryTimeout + LeaseMargin };
            claimed = await WriteAsync(userKey, mission, claim, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return new FiringResult(FiringOutcome.Lost);
        }

        var started = time.GetUtcNow();
        DeliveryResult result;
        try
        {
            // Secret references are resolved here, in memory only; what the receiver sends back is cleared of the values before it is kept.
            var headers = await integrations.ResolveAsync(userKey, definition.Headers, cancellationToken);
            var delivery = new WebhookDelivery(definition.Url, headers.Headers, firing.FiringId, started.ToUnixTimeSeconds(), Body(mission.Id, firing, definition), Secrets(userKey, claimed, started));
            result = await sender.SendAsync(delivery, cancellationToken);
            if (result.Response is { } received && headers.Secrets.Count > 0)
            {
                result = result with { Response = received with { Body = SecretRedaction.Redact(received.Body, headers.Secrets, received.Truncated) } };
            }
        }
        catch (SecretReferenceException e)
        {
            // Retrying the same firing cannot help until the user sets the secret; the next scheduled firing tries again.
            result = new DeliveryResult(false, null, e.Message + " Nothing was sent.", null, TimeSpan.Zero, Retryable: false);
        }
        catch (CryptographicException e)
        {
            // A missing or changed encryption key: retrying cannot help and nothing is sent unsigned. The run log says how
            // to recover (rotate-secret needs no old secret), on every firing until then.
            var error = $"{UndecryptableSecret(mission.Id, e)} Nothing was sent.";
            result = new DeliveryResult(false, null, error, null, TimeSpan.Zero, Retryable: false);
        }

        var response = result.Response;
        var runId = MissionStore.NewRunId(started);
        // The blob goes first, the row that references it second: a row never points at a missing blob.
        var body = response is { Body.Length: > WebhookSender.ExcerptBytes } ? await SaveResponseAsync(userKey, mission.Id, runId, response) : null;
        var run = new MissionRunRecord(
            mission.Id, runId, firing.FiringId, started, firing.ScheduledAt, firing.Attempt, (long)result.Duration.TotalMilliseconds,
            result.Succeeded ? "succeeded" : "failed", result.HttpStatus, result.Error, response?.Excerpt, firing.Manual,
            response?.Body.Length, response?.Truncated ?? false, response?.ContentType, body);
        await store.AddRunAsync(userKey, run, CancellationToken.None);
        var nextDue = await RecordAsync(userKey, claimed, firing, result, CancellationToken.None);
        return new FiringResult(FiringOutcome.Delivered, nextDue, run);
    }

    /// <summary>
    /// Stores a response body longer than the excerpt; null when storage fails. The run is recorded either way (with its
    /// excerpt): failing here would leave the firing claimed, and the receiver would get the webhook again.
    /// </summary>
    private async Task<PayloadReference?> SaveResponseAsync(string userKey, string missionId, string runId, CapturedResponse response)
    {
        try
        {
            return await store.SaveResponseAsync(userKey, missionId, response.Body, response.ContentType, CancellationToken.None);
        }
        catch (RequestFailedException e)
        {
            LogResponseNotStored(logger, e, missionId, runId);
            return null;
        }
    }

    /// <summary>Applies an attempt's result to the mission row, re-reading on conflicts with user edits.</summary>
    private async Task<DateTimeOffset?> RecordAsync(string userKey, MissionRecord claimed, PendingFiring firing, DeliveryResult result, CancellationToken cancellationToken)
    {
        var current = claimed;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (current.State.Pending?.FiringId != firing.FiringId || current.State.Pending.Attempt != firing.Attempt)
            {
                // The user disabled or edited the mission meanwhile and dropped the firing; nothing to record on the row.
                return null;
            }

            var next = Apply(current.State, firing, result, time.GetUtcNow());
            try
            {
                await WriteAsync(userKey, current, next, cancellationToken);
                return next.DueAt;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                current = await store.GetAsync(userKey, claimed.Id, cancellationToken) ?? current with { State = new MissionState() };
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }
        }

        LogRecordGaveUp(logger, claimed.Id, firing.Attempt);
        return null;
    }

    private MissionState Apply(MissionState state, PendingFiring firing, DeliveryResult result, DateTimeOffset now)
    {
        var next = state with
        {
            RunCount = state.RunCount + 1,
            SuccessCount = state.SuccessCount + (result.Succeeded ? 1 : 0),
            FailureCount = state.FailureCount + (result.Succeeded ? 0 : 1),
            LastRunAt = now,
            LastRunStatus = result.Succeeded ? "succeeded" : "failed",
            Pending = null,
        };
        if (result.HttpStatus == 410)
        {
            return next with { Enabled = false, PausedReason = "The receiver answered 410 Gone.", DueAt = null };
        }

        if (!result.Succeeded && result.Retryable && firing.Attempt < Options.MaxAttempts)
        {
            return next with { Pending = firing with { Delivering = false }, DueAt = now + Backoff(firing.Attempt) };
        }

        return next with { DueAt = next.Enabled ? next.NextRunAt : null };
    }

    private TimeSpan Backoff(int attempt)
    {
        var exponential = Options.RetryBaseDelay * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = exponential > Options.RetryMaxDelay ? Options.RetryMaxDelay : exponential;
        // ±20 % jitter spreads retries of many missions failing against one receiver.
        return capped * (0.8 + (0.4 * Random.Shared.NextDouble()));
    }

    /// <summary>Index first, then the row (conditional on its ETag): a crash in between leaves only a stale index row.</summary>
    private async Task<MissionRecord> WriteAsync(string userKey, MissionRecord mission, MissionState next, CancellationToken cancellationToken)
    {
        if (next.DueAt is { } dueAt && dueAt != mission.State.DueAt)
        {
            await IndexAsync(userKey, mission.Id, dueAt, cancellationToken);
        }

        return await store.ReplaceAsync(userKey, mission.Id, mission.DefinitionJson, next, mission.ETag, cancellationToken);
    }

    private List<byte[]> Secrets(string userKey, MissionRecord mission, DateTimeOffset now)
    {
        var list = new List<byte[]>(2);
        if (mission.State.SecretCipher is { } current)
        {
            list.Add(secrets.Unprotect(current, userKey, mission.Id));
        }

        // The rotated-out secret is a courtesy during the grace period: if its key is gone, sign with the current one only.
        if (mission.State.PreviousSecretCipher is { } previous && mission.State.PreviousSecretExpiresAt > now && secrets.CanUnprotect(previous, userKey, mission.Id))
        {
            list.Add(secrets.Unprotect(previous, userKey, mission.Id));
        }

        return list;
    }

    private static byte[] Body(string missionId, PendingFiring firing, MissionDefinition definition)
    {
        // Deterministic per firing, so every attempt of one webhook-id carries the same body.
        var body = new StringBuilder();
        body.Append("{\"type\":\"mission.fired\",\"missionId\":").Append(JsonSerializer.Serialize(missionId, BodyJson))
            .Append(",\"firingId\":").Append(JsonSerializer.Serialize(firing.FiringId, BodyJson))
            .Append(",\"scheduledAt\":").Append(JsonSerializer.Serialize(firing.ScheduledAt.UtcDateTime, BodyJson))
            .Append(",\"manual\":").Append(firing.Manual ? "true" : "false")
            .Append(",\"data\":").Append(definition.PayloadJson).Append('}');
        return Encoding.UTF8.GetBytes(body.ToString());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mission {MissionId}: could not record attempt {Attempt} after repeated conflicts; the lease will retry it.")]
    private static partial void LogRecordGaveUp(ILogger logger, string missionId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mission {MissionId}: the response body of run {RunId} could not be stored; the run keeps its excerpt only.")]
    private static partial void LogResponseNotStored(ILogger logger, Exception exception, string missionId, string runId);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
