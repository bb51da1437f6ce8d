using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Missions;

namespace Serverless.Functions.Missions;

/// <summary>The body of <c>POST /api/v1/missions</c> and <c>PUT /api/v1/missions/{id}</c>.</summary>
public sealed record MissionWrite : IBindableFromHttpContext<MissionWrite>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<MissionWrite?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<MissionWrite>(context.Request, context.RequestAborted);

    /// <summary>A display name, 1 to 200 characters.</summary>
    public string? Name { get; init; }

    /// <summary>NCRONTAB, 5 or 6 fields, on the wall clock of <see cref="TimeZone"/>. Exactly one of this and <see cref="IntervalSeconds"/>.</summary>
    public string? Cron { get; init; }

    /// <summary>A fixed interval in seconds, counted from <see cref="StartAt"/> (or creation).</summary>
    public long? IntervalSeconds { get; init; }

    /// <summary>IANA time zone id; default UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Whether it fires; default true.</summary>
    public bool? Enabled { get; init; }

    /// <summary>No firing before this.</summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>No firing after this.</summary>
    public DateTimeOffset? EndAt { get; init; }

    /// <summary><c>skip</c> (default), <c>runOnce</c> or <c>catchUp</c>.</summary>
    public string? MissedRunPolicy { get; init; }

    /// <summary>With <c>catchUp</c>: the most missed runs to fire.</summary>
    public int? MaxCatchUp { get; init; }

    /// <summary>The webhook URL: https, or http only for allow-listed local targets.</summary>
    public string? Url { get; init; }

    /// <summary>Extra request headers.</summary>
    public Dictionary<string, string>? Headers { get; init; }

    /// <summary>The JSON sent as the body's <c>data</c>.</summary>
    public JsonElement Payload { get; init; }
}

/// <summary>A validated definition as stored in the mission row (JSON).</summary>
public sealed record MissionDefinition
{
    /// <summary>Display name.</summary>
    public required string Name { get; init; }

    /// <summary>NCRONTAB, or null for an interval.</summary>
    public string? Cron { get; init; }

    /// <summary>Interval seconds, or null for cron.</summary>
    public long? IntervalSeconds { get; init; }

    /// <summary>IANA zone id.</summary>
    public required string TimeZone { get; init; }

    /// <summary>Start bound.</summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>End bound.</summary>
    public DateTimeOffset? EndAt { get; init; }

    /// <summary>Missed-run policy.</summary>
    public MissedRunPolicy MissedRunPolicy { get; init; }

    /// <summary>Catch-up count.</summary>
    public int MaxCatchUp { get; init; }

    /// <summary>Target URL.</summary>
    public required string Url { get; init; }

    /// <summary>Extra headers.</summary>
    public Dictionary<string, string> Headers { get; init; } = [];

    /// <summary>Payload as JSON text.</summary>
    public string PayloadJson { get; init; } = "null";

    /// <summary>What a mission whose stored definition cannot be read shows in its view (with <c>unreadable: ["definition"]</c>).</summary>
    public static MissionDefinition Unreadable { get; } = new() { Name = string.Empty, TimeZone = string.Empty, Url = string.Empty };

    /// <summary>Reads the stored JSON (a lone surrogate in it reads as U+FFFD); false when it does not parse any more.</summary>
    public static bool TryParse(string json, [NotNullWhen(true)] out MissionDefinition? definition) => StoredJson.TryDeserialize(json, null, out definition);

    /// <summary>The stored JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>The schedule; definitions are validated before storing, so this does not fail for stored ones.</summary>
    public MissionSchedule Schedule(DateTimeOffset createdAt)
    {
        MissionSchedule.TryCreate(Cron, IntervalSeconds, TimeZone, StartAt, EndAt, createdAt, out var schedule, out var error);
        return schedule ?? throw new InvalidOperationException($"Stored mission schedule is invalid: {error}");
    }
}

/// <summary>A mission as the API returns it. The signing secret is never part of it.</summary>
/// <remarks>
/// <c>pendingFiring</c> is the firing being delivered or waiting to retry (null when none: "run now" answers 409 while there
/// is one). <c>signingError</c> says why the signing secret cannot sign (its key is gone) until <c>rotate-secret</c> replaces
/// it; null when it can. <c>unreadable</c> is <c>["definition"]</c> when the stored definition cannot be read (see
/// <see cref="StoredJson"/>): the definition's fields are then empty, the mission does not fire, and a PUT of a new
/// definition or a DELETE resolves it.
/// </remarks>
public sealed record MissionView(
    string Id,
    string Name,
    string? Cron,
    long? IntervalSeconds,
    string TimeZone,
    bool Enabled,
    string? PausedReason,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    string MissedRunPolicy,
    int MaxCatchUp,
    string Url,
    Dictionary<string, string> Headers,
    JsonElement Payload,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long RunCount,
    long SuccessCount,
    long FailureCount,
    DateTimeOffset? LastRunAt,
    string? LastRunStatus,
    DateTimeOffset? NextRunAt,
    PendingFiringView? PendingFiring,
    string? SigningError,
    IReadOnlyList<string>? Unreadable)
{
    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>Maps a stored record of the user <paramref name="userKey"/>; <paramref name="secrets"/> tells whether its secret can sign.</summary>
    public static MissionView From(MissionRecord record, string userKey, MissionSecretProtector secrets)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(secrets);
        string? signingError = null;
        if (record.State.SecretCipher is { } cipher)
        {
            try
            {
                secrets.Unprotect(cipher, userKey, record.Id);
            }
            catch (CryptographicException e)
            {
                signingError = MissionFiring.UndecryptableSecret(record.Id, e);
            }
        }

        return From(record, signingError);
    }

    /// <summary>The view of a mission as stored, with <paramref name="signingError"/> as given (its secret is not opened).</summary>
    public static MissionView From(MissionRecord record, string? signingError)
    {
        ArgumentNullException.ThrowIfNull(record);
        var definitionRead = MissionDefinition.TryParse(record.DefinitionJson, out var d);
        d ??= MissionDefinition.Unreadable;
        var payloadRead = StoredJson.TryParse(d.PayloadJson, out var payload);
        var s = record.State;
        return new MissionView(
            record.Id, d.Name, d.Cron, d.IntervalSeconds, d.TimeZone, s.Enabled, s.PausedReason, d.StartAt, d.EndAt, PolicyName(d.MissedRunPolicy), d.MaxCatchUp,
            d.Url, d.Headers, payload ?? Null, s.CreatedAt, s.UpdatedAt, s.RunCount, s.SuccessCount, s.FailureCount, s.LastRunAt, s.LastRunStatus,
            s.Enabled ? s.NextRunAt : null, PendingFiringView.From(s), signingError, StoredJson.Unreadable(("definition", definitionRead), ("payload", payloadRead)));
    }

    /// <summary>The API name of a policy.</summary>
    public static string PolicyName(MissedRunPolicy policy) => policy switch
    {
        Missions.MissedRunPolicy.RunOnce => "runOnce",
        Missions.MissedRunPolicy.CatchUp => "catchUp",
        _ => "skip",
    };
}

/// <summary>A mission's firing that has not finished: being delivered, or waiting to retry after a failed attempt.</summary>
/// <param name="WebhookId">The firing's <c>webhook-id</c>, shared by all its attempts.</param>
/// <param name="ScheduledAt">The occurrence it stands for.</param>
/// <param name="Manual">Whether "run now" started it.</param>
/// <param name="State"><c>delivering</c>: attempt <paramref name="Attempt"/> is being sent now; <c>retrying</c>: attempt <paramref name="Attempt"/> waits for <paramref name="NextAttemptAt"/>.</param>
/// <param name="Attempt">The attempt being delivered, or the next one (1-based).</param>
/// <param name="NextAttemptAt">
/// <c>retrying</c>: when the attempt is due (the first timer tick after it sends it); <c>delivering</c>: when the attempt is
/// made again should this one never report back.
/// </param>
public sealed record PendingFiringView(string WebhookId, DateTimeOffset ScheduledAt, bool Manual, string State, int Attempt, DateTimeOffset? NextAttemptAt)
{
    /// <summary>The pending firing of <paramref name="state"/>, or null.</summary>
    public static PendingFiringView? From(MissionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Pending is not { } p
            ? null
            : p.Delivering
                ? new PendingFiringView(p.FiringId, p.ScheduledAt, p.Manual, "delivering", p.Attempt, state.DueAt)
                : new PendingFiringView(p.FiringId, p.ScheduledAt, p.Manual, "retrying", p.Attempt + 1, state.DueAt);
    }

    /// <summary>What "run now" says while this firing is pending.</summary>
    public string Describe() => State == "delivering"
        ? $"Attempt {Attempt} of this mission's firing {WebhookId} is being delivered now; run it again when that has finished."
        : $"This mission's firing {WebhookId} waits to retry: attempt {Attempt} is due at {NextAttemptAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)} (the first timer tick after that sends it). Run it again once that attempt has finished.";
}

/// <summary>The answer to create and rotate: the mission plus its secret, shown this once.</summary>
/// <param name="Mission">The mission.</param>
/// <param name="Secret">The signing secret, <c>whsec_…</c>.</param>
public sealed record MissionWithSecret(MissionView Mission, string Secret);

/// <summary>One run-log entry.</summary>
/// <param name="Id">The run's id: what <c>GET /api/v1/missions/{id}/runs/{runId}/response</c> takes.</param>
/// <param name="WebhookId">The firing's <c>webhook-id</c>, shared by its attempts.</param>
/// <param name="StartedAt">When the attempt started.</param>
/// <param name="ScheduledAt">The occurrence it stands for.</param>
/// <param name="Attempt">1-based attempt number within the firing.</param>
/// <param name="DurationMs">How long it took.</param>
/// <param name="Status"><c>succeeded</c> or <c>failed</c>.</param>
/// <param name="HttpStatus">The receiver's status, or null when no response arrived.</param>
/// <param name="Error">What went wrong, or null.</param>
/// <param name="ResponseExcerpt">The first KiB of the response body as text, or null.</param>
/// <param name="ResponseBytes">Bytes of the response body captured (at most <c>Missions:MaxResponseBodyBytes</c>), or null when no response arrived.</param>
/// <param name="ResponseTruncated">Whether the body went on past the captured bytes (over the cap, or cut off by the timeout or the connection).</param>
/// <param name="ResponseContentType">The response's Content-Type, or null.</param>
/// <param name="HasResponseBody">Whether the captured body is stored (it was longer than the excerpt) and can be read from <c>…/runs/{runId}/response</c>.</param>
/// <param name="Manual">Whether "run now" started the firing.</param>
public sealed record MissionRunView(
    string Id,
    string WebhookId,
    DateTimeOffset StartedAt,
    DateTimeOffset ScheduledAt,
    int Attempt,
    long DurationMs,
    string Status,
    int? HttpStatus,
    string? Error,
    string? ResponseExcerpt,
    long? ResponseBytes,
    bool ResponseTruncated,
    string? ResponseContentType,
    bool HasResponseBody,
    bool Manual)
{
    /// <summary>Maps a stored run.</summary>
    public static MissionRunView From(MissionRunRecord r) =>
        new(r.RunId, r.FiringId, r.StartedAt, r.ScheduledAt, r.Attempt, r.DurationMs, r.Status, r.HttpStatus, r.Error, r.ResponseExcerpt,
            r.ResponseBytes, r.ResponseTruncated, r.ResponseContentType, r.ResponseBody is not null, r.Manual);
}
