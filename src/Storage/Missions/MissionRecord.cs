using Azure;

namespace Serverless.Storage.Missions;

/// <summary>
/// One stored mission: what the user asked for (the definition, stored as JSON) and the
/// scheduler's bookkeeping (<see cref="State"/>, stored as columns so the firing path reads it cheaply).
/// </summary>
/// <param name="Id">The mission id.</param>
/// <param name="DefinitionJson">The user's definition as JSON; the API layer owns its shape.</param>
/// <param name="State">Counters, next run, the in-flight firing and the encrypted secrets.</param>
/// <param name="ETag">The row's version: API <c>If-Match</c> and the firing claim both use it.</param>
public sealed record MissionRecord(string Id, string DefinitionJson, MissionState State, ETag ETag);

/// <summary>The scheduler's view of a mission.</summary>
public sealed record MissionState
{
    /// <summary>Whether the mission fires on its schedule.</summary>
    public bool Enabled { get; init; }

    /// <summary>Why the system paused it (e.g. the receiver answered 410), or null.</summary>
    public string? PausedReason { get; init; }

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its definition last changed (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Delivery attempts made so far.</summary>
    public long RunCount { get; init; }

    /// <summary>Attempts answered with 2xx.</summary>
    public long SuccessCount { get; init; }

    /// <summary>Attempts that failed (non-2xx, timeout, refused address, network error).</summary>
    public long FailureCount { get; init; }

    /// <summary>When the last attempt finished, or null.</summary>
    public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>The last attempt's outcome (<c>succeeded</c>, <c>failed</c>, …), or null.</summary>
    public string? LastRunStatus { get; init; }

    /// <summary>The next scheduled occurrence not yet taken, or null when the schedule has ended.</summary>
    public DateTimeOffset? NextRunAt { get; init; }

    /// <summary>
    /// When the scheduler must next look at this mission: the earlier of <see cref="NextRunAt"/> and the
    /// pending firing's retry or lease time; null when nothing is due. The due index row carries these ticks,
    /// so a row whose ticks differ is stale.
    /// </summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>The firing being delivered or retried, or null.</summary>
    public PendingFiring? Pending { get; init; }

    /// <summary>The current signing secret, encrypted.</summary>
    public string? SecretCipher { get; init; }

    /// <summary>The previous signing secret during a rotation's grace period, encrypted, or null.</summary>
    public string? PreviousSecretCipher { get; init; }

    /// <summary>When the previous secret stops signing.</summary>
    public DateTimeOffset? PreviousSecretExpiresAt { get; init; }
}

/// <summary>A firing claimed but not finished: every attempt of it carries the same <see cref="FiringId"/>.</summary>
/// <param name="FiringId">Deterministic id (mission id + scheduled time), the <c>webhook-id</c>.</param>
/// <param name="ScheduledAt">The occurrence it stands for.</param>
/// <param name="Attempt">The number of the attempt claimed last (1-based).</param>
/// <param name="Manual">Whether it came from "run now" rather than the schedule.</param>
/// <param name="Delivering">
/// True while attempt <paramref name="Attempt"/> is being delivered (claimed, not yet recorded; the mission's due time is
/// then when the claim lapses); false while the next attempt waits for its retry time after a failed one. Rows written
/// before this was recorded read as false.
/// </param>
public sealed record PendingFiring(string FiringId, DateTimeOffset ScheduledAt, int Attempt, bool Manual, bool Delivering = false);
