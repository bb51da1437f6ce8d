using Azure;
using Azure.Data.Tables;
using Serverless.Functions.Storage;
using Serverless.Storage;
using Serverless.Storage.Tables;

namespace Serverless.Functions.Timers;

/// <summary>
/// The timers table: one row per job (PartitionKey <see cref="PartitionKey"/>, RowKey = job name)
/// recording the last claimed occurrence, so that each tick is claimed by exactly one instance
/// (see <see cref="TimerScheduler"/> for why), and when the last run ended.
/// </summary>
internal sealed class TimerTickStore(AppTables tables, TimeProvider time)
{
    public const string PartitionKey = "timer";

    /// <summary>The last claimed occurrence (UTC). Only ever moves forward.</summary>
    public const string LastScheduled = nameof(LastScheduled);

    /// <summary>A fresh id per claim, so that a retried write recognises its own first attempt and never mistakes another instance's claim of the same tick for it.</summary>
    public const string ClaimId = nameof(ClaimId);

    /// <summary>Which scheduler claimed (diagnostics).</summary>
    public const string ClaimedBy = nameof(ClaimedBy);

    /// <summary>When the claim was made, by the claimer's clock.</summary>
    public const string ClaimedAt = nameof(ClaimedAt);

    /// <summary>When the last run ended, however it ended.</summary>
    public const string LastFinished = nameof(LastFinished);

    /// <summary>How the last run ended: Succeeded, Failed, Cancelled or LockLost (diagnostics).</summary>
    public const string LastOutcome = nameof(LastOutcome);

    /// <summary>Attempts when the row changes between read and write (a finish record landing, a rival claim).</summary>
    private const int MaxAttempts = 5;

    /// <summary>
    /// Claims <paramref name="occurrence"/> of <paramref name="job"/> for <paramref name="claimer"/>: read
    /// the row; if it already records this occurrence or a later one, someone else has it (null); else
    /// write it conditionally on the version read. A 409/412/404 means the row changed under us: read it
    /// again and decide again, so a rival's claim makes us back off while a finish record does not.
    /// </summary>
    /// <returns>The claim, or <c>null</c> when the tick is (or was) claimed elsewhere.</returns>
    /// <exception cref="RequestFailedException">Storage failed, or the row kept changing.</exception>
    public async Task<TimerClaim?> TryClaimAsync(ScheduledTimerJob job, DateTimeOffset occurrence, string claimer, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var row = await tables.Timers.FindAsync(PartitionKey, job.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            var previous = row?.GetDateTimeOffset(LastScheduled);
            if (previous >= occurrence)
            {
                return null;
            }

            var claim = new TableEntity(PartitionKey, job.Name)
            {
                [LastScheduled] = occurrence,
                [ClaimId] = Guid.NewGuid().ToString("N"),
                [ClaimedBy] = claimer,
                [ClaimedAt] = time.GetUtcNow(),
            };
            try
            {
                if (row is null)
                {
                    await tables.Timers.InsertAsync(claim, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // Merge keeps LastFinished/LastOutcome; the ETag makes it a compare-and-swap on the row.
                    await tables.Timers.MergeAsync(claim, row.ETag, cancellationToken).ConfigureAwait(false);
                }

                return new TimerClaim(previous, row?.GetDateTimeOffset(LastFinished), row?.GetDateTimeOffset(ClaimedAt) ?? row?.Timestamp);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 or 404 && attempt < MaxAttempts)
            {
                // Changed since we read it: the next read decides.
            }
        }
    }

    /// <summary>Records that a run ended. Unconditional, as it leaves the claim's properties alone; a claim that meets it just reads again.</summary>
    public async Task RecordFinishedAsync(ScheduledTimerJob job, string outcome, CancellationToken cancellationToken)
    {
        var finished = new TableEntity(PartitionKey, job.Name)
        {
            [LastFinished] = time.GetUtcNow(),
            [LastOutcome] = outcome,
        };
        await tables.Timers.MergeAsync(finished, ETag.All, cancellationToken).ConfigureAwait(false);
    }
}
