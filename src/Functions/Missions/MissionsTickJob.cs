using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Timers;
using Serverless.Storage;
using Serverless.Storage.Missions;

namespace Serverless.Functions.Missions;

/// <summary>
/// <c>MissionsTick</c>, every minute: reads the due index from the cursor bucket up to now (never the
/// mission rows of users with nothing due), fires what is due and moves the cursor. The Functions host
/// runs it at most once at a time across instances; the per-firing ETag claim makes overlapping runs (a
/// second local server on the same storage, a manual run) safe too.
/// </summary>
public sealed partial class MissionsTickJob(DueIndexStore due, MissionFiring firing, IOptions<MissionOptions> options, TimeProvider time, ILogger<MissionsTickJob> logger) : ITimerJob
{
    /// <summary>The function name.</summary>
    public const string Name = "MissionsTick";

    /// <summary>
    /// The app setting <c>Missions:TickSchedule</c> (<c>Missions__TickSchedule</c>): every minute, at second 0, as
    /// shipped. The host resolves it for the <c>[TimerTrigger]</c>, the local scheduler from configuration.
    /// </summary>
    public const string Schedule = "%Missions:TickSchedule%";

    /// <summary>The cursor trails now by this much, so a writer whose clock is behind never indexes behind it.</summary>
    private static readonly TimeSpan SkewAllowance = TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var nowBucket = DueIndexStore.BucketOf(now);
        var from = await due.GetCursorAsync(cancellationToken) ?? DueIndexStore.BucketOf(now.AddMinutes(-o.TickLookbackBuckets));
        var entries = await due.ReadAsync(from, nowBucket, o.TickBatchSize, cancellationToken);

        var remaining = new System.Collections.Concurrent.ConcurrentBag<string>();
        var fired = 0;
        var stale = 0;
        await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, o.TickParallelism), CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            if (entry.DueAt > now)
            {
                remaining.Add(entry.Bucket);
                return;
            }

            try
            {
                var (delivered, keep) = await ProcessAsync(entry, now, o, ct);
                Interlocked.Add(ref fired, delivered);
                if (keep)
                {
                    remaining.Add(entry.Bucket);
                }
                else
                {
                    if (delivered == 0)
                    {
                        Interlocked.Increment(ref stale);
                    }

                    await due.DeleteAsync(entry, ct);
                }
            }
            catch (RequestFailedException e)
            {
                // Left in place: the next tick tries again.
                LogEntryFailed(logger, entry.MissionId, e.Status, e);
                remaining.Add(entry.Bucket);
            }
        });

        var floor = DueIndexStore.BucketOf(now - SkewAllowance);
        var cursor = remaining.Append(floor).Append(entries.Count >= o.TickBatchSize ? entries[^1].Bucket : floor).Min(StringComparer.Ordinal)!;
        if (!string.Equals(cursor, from, StringComparison.Ordinal))
        {
            await due.SetCursorAsync(cursor, cancellationToken);
        }

        LogTick(logger, entries.Count, fired, stale, remaining.Count);
    }

    private async Task<(int Delivered, bool Keep)> ProcessAsync(DueEntry entry, DateTimeOffset now, MissionOptions o, CancellationToken cancellationToken)
    {
        var delivered = 0;
        var expected = entry.DueAt;
        // Catch-up runs leave the next occurrence in the past; fire those now rather than one per tick.
        for (var round = 0; round <= o.MaxCatchUp + 1; round++)
        {
            var result = await firing.ProcessDueAsync(entry.UserKey, entry.MissionId, expected, cancellationToken);
            if (result.Outcome == FiringOutcome.Lost)
            {
                // Someone else wrote the row; it may have re-indexed this very row, so keep it for the next tick to re-check.
                return (delivered, true);
            }

            delivered += result.Outcome == FiringOutcome.Delivered ? 1 : 0;
            if (result.NextDueAt is not { } next || next > now || next.UtcTicks == expected.UtcTicks)
            {
                return (delivered, false);
            }

            expected = next;
        }

        return (delivered, false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mission {MissionId}: processing failed with storage status {Status}; retried next tick.")]
    private static partial void LogEntryFailed(ILogger logger, string missionId, int status, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "MissionsTick: {Read} index rows read, {Fired} attempts, {Stale} stale rows removed, {Remaining} left for later.")]
    private static partial void LogTick(ILogger logger, int read, int fired, int stale, int remaining);
}
