using Serverless.Storage.Payloads;

namespace Serverless.Storage.Missions;

/// <summary>One delivery attempt of a mission, as the run log keeps it.</summary>
/// <param name="MissionId">The mission.</param>
/// <param name="RunId">
/// The attempt's id, unique within the mission: <c>{invertedTicks}-{random}</c> (<see cref="MissionStore.NewRunId"/>), the tail
/// of its row key, so the API can address one run with a point read.
/// </param>
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
/// <param name="ResponseBytes">How many bytes of the response body were captured (at most the sender's cap), or null when no response arrived (or the row predates the column).</param>
/// <param name="ResponseTruncated">Whether the body went on past what was captured (over the cap, or cut off by the timeout or the connection).</param>
/// <param name="ResponseContentType">The response's Content-Type as the receiver sent it, or null.</param>
/// <param name="ResponseBody">The captured body in a compressed blob, when it was longer than the excerpt; null otherwise.</param>
public sealed record MissionRunRecord(
    string MissionId,
    string RunId,
    string FiringId,
    DateTimeOffset StartedAt,
    DateTimeOffset ScheduledAt,
    int Attempt,
    long DurationMs,
    string Status,
    int? HttpStatus,
    string? Error,
    string? ResponseExcerpt,
    bool Manual,
    long? ResponseBytes,
    bool ResponseTruncated,
    string? ResponseContentType,
    PayloadReference? ResponseBody);
