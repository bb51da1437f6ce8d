namespace Serverless.Storage.Missions;

/// <summary>One delivery attempt of a mission, as the run log keeps it.</summary>
/// <param name="MissionId">The mission.</param>
/// <param name="AttemptId">Unique id of this attempt row.</param>
/// <param name="FiringId">The firing (<c>webhook-id</c>); shared by the attempts of one firing.</param>
/// <param name="StartedAt">When the attempt started (UTC).</param>
/// <param name="ScheduledAt">The occurrence the firing stands for.</param>
/// <param name="Attempt">1-based attempt number within the firing.</param>
/// <param name="DurationMs">How long the attempt took.</param>
/// <param name="Status"><c>succeeded</c> or <c>failed</c>.</param>
/// <param name="HttpStatus">The receiver's status code, or null when none arrived.</param>
/// <param name="Error">What went wrong, or null.</param>
/// <param name="ResponseExcerpt">The start of the response body, at most 1 KiB of UTF-8, or null.</param>
/// <param name="Manual">Whether "run now" started the firing.</param>
public sealed record MissionRunRecord(
    string MissionId,
    string AttemptId,
    string FiringId,
    DateTimeOffset StartedAt,
    DateTimeOffset ScheduledAt,
    int Attempt,
    long DurationMs,
    string Status,
    int? HttpStatus,
    string? Error,
    string? ResponseExcerpt,
    bool Manual);
