using System.Net;

namespace Serverless.Storage;

/// <summary>
/// The one exception storage operations throw for a failed request: the HTTP status, the
/// service's error code and, for entity group transactions, the index of the failing operation.
/// Built only by <see cref="Http.StorageErrors"/>.
/// </summary>
public sealed class StorageException : Exception
{
    /// <summary>Creates the exception; use <see cref="Http.StorageErrors"/> to build one from a response.</summary>
    public StorageException(int status, string? errorCode, string message, int? failedOperationIndex = null, bool wasRetried = false, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
        FailedOperationIndex = failedOperationIndex;
        WasRetried = wasRetried;
    }

    /// <summary>The HTTP status the service answered, or 0 when no response arrived.</summary>
    public int Status { get; }

    /// <summary>The storage error code (<c>x-ms-error-code</c> or the body's code), e.g. <c>EntityAlreadyExists</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>For a failed entity group transaction, the 0-based index of the operation the service rejected.</summary>
    public int? FailedOperationIndex { get; }

    /// <summary>
    /// Whether the request was sent more than once. A conflict or failed precondition on a
    /// retried write may be the echo of the first attempt having committed; callers that
    /// care tell the two apart by reading back (the table client does this for single-entity writes).
    /// </summary>
    public bool WasRetried { get; }

    /// <summary>404: the entity, blob, table or container does not exist.</summary>
    public bool IsNotFound => Status == (int)HttpStatusCode.NotFound;

    /// <summary>409: the entity or blob already exists, or a lease is held.</summary>
    public bool IsConflict => Status == (int)HttpStatusCode.Conflict;

    /// <summary>412: an <c>If-Match</c> or <c>If-None-Match</c> condition failed.</summary>
    public bool IsPreconditionFailed => Status == (int)HttpStatusCode.PreconditionFailed;

    /// <summary>429, 503 ServerBusy or 500 OperationTimedOut: the service asks the caller to back off.</summary>
    public bool IsThrottled => Status is 429 or 503 || (Status == 500 && ErrorCode == "OperationTimedOut");
}
