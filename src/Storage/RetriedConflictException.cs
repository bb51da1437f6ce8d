using Azure;
using Azure.Data.Tables;

namespace Serverless.Storage;

/// <summary>
/// A write that was retried after a lost response met a conflict (409), a failed precondition (412) or
/// a missing row (404), and the stored state is not what it wrote: a real conflict, but one where the
/// first try may have committed something that was changed since. Thrown only by <see cref="StorageWrites"/>;
/// its <see cref="RequestFailedException.Status"/> and <see cref="RequestFailedException.ErrorCode"/> are the service's.
/// </summary>
public sealed class RetriedConflictException : RequestFailedException
{
    /// <summary>Wraps the conflict the retry met.</summary>
    public RetriedConflictException(RequestFailedException conflict)
        : base(conflict?.Status ?? 0, $"A retried write met {conflict?.Status} {conflict?.ErrorCode}, and what is stored is not what it wrote.", conflict?.ErrorCode, conflict)
    {
        FailedActionIndex = (conflict as TableTransactionFailedException)?.FailedTransactionActionIndex;
    }

    /// <summary>For a transaction, the 0-based index of the action the service rejected.</summary>
    public int? FailedActionIndex { get; }
}
