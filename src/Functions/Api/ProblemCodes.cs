namespace Serverless.Functions.Api;

/// <summary>
/// The stable machine-readable <c>code</c> of every problem+json answer. Clients switch on these;
/// WARNING: renaming one is a breaking change of the API.
/// </summary>
public static class ProblemCodes
{
    /// <summary>400: the body is not valid JSON or does not have the expected shape.</summary>
    public const string MalformedJson = "malformed_json";

    /// <summary>400: one or more fields failed validation; see <c>errors</c>.</summary>
    public const string ValidationFailed = "validation_failed";

    /// <summary>400: a cursor was altered, belongs to another user or another list.</summary>
    public const string InvalidCursor = "invalid_cursor";

    /// <summary>401: no valid credentials.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>403: authenticated but not allowed.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>404: no such resource (or not yours: the two are indistinguishable by design).</summary>
    public const string NotFound = "not_found";

    /// <summary>404: no route matches the path.</summary>
    public const string RouteNotFound = "route_not_found";

    /// <summary>405: the route exists but not for this method.</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>409: the resource already exists or the write conflicts with another.</summary>
    public const string Conflict = "conflict";

    /// <summary>409: the user's data is being erased (<c>DELETE /api/v1/me</c>); nothing is written until it ends.</summary>
    public const string ErasureInProgress = "erasure_in_progress";

    /// <summary>409: the user's data is under a legal hold, so it cannot be erased.</summary>
    public const string LegalHold = "legal_hold";

    /// <summary>412: <c>If-Match</c> names a version that is no longer current.</summary>
    public const string PreconditionFailed = "precondition_failed";

    /// <summary>413: the body exceeds the limit.</summary>
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>415: the body is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>422: the <c>Idempotency-Key</c> was already used with a different request.</summary>
    public const string IdempotencyKeyReused = "idempotency_key_reused";

    /// <summary>428: the operation requires <c>If-Match</c>.</summary>
    public const string PreconditionRequired = "precondition_required";

    /// <summary>429: too many requests; retry after the <c>Retry-After</c> delay.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>500: an unexpected server fault (never caused by client input).</summary>
    public const string InternalError = "internal_error";

    /// <summary>503: storage is unreachable or throttling us; retry later.</summary>
    public const string StorageUnavailable = "storage_unavailable";

    /// <summary>422: an import's bundle is not a valid bundle (docs/bundle-format.md); the detail names the check.</summary>
    public const string InvalidBundle = "invalid_bundle";
}
