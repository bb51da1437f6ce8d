using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// The retention sweep: reads the expiry index's due buckets only, re-checks each entry's user rows, purges what
/// its rule says (rows, then blobs), then deletes the entry. Cost follows what expired, not what is stored.
/// </summary>
/// <remarks>
/// <para>
/// Resumable and idempotent: an entry is deleted only after its purge completed, every purge step deletes only
/// what is still there (rows under their ETags, in transactions that drop a row already gone or changed, blobs with
/// delete-if-exists), and counts only what this sweep itself deleted. So a sweep that crashes is finished by the next
/// one, and two sweeps at once (the timer's singleton lease lost, an operator's run) delete each row once between
/// them and lose nothing. The cursor moves only past buckets a sweep read to the end.
/// </para>
/// <para>
/// Per user with due entries it reads the legal hold (1 point read), the <c>_retention</c> settings (1 query) and,
/// for deleted threads, the thread rows' lineage (1 query per 1,000 threads).
/// </para>
/// </remarks>
public sealed class RetentionSweep(LifecycleStorage storage, ExpiryIndex expiry)
{
    /// <summary>Buckets before the cursor read again, for entries written into a past bucket by an instance whose clock lags.</summary>
    public const int LookbackBuckets = 2;

    /// <summary>Entries read per page.</summary>
    private const int PageSize = 1000;

    private readonly LegalHolds holds = new(storage.Users, expiry.Time);

    /// <summary>Runs one sweep.</summary>
    /// <param name="dryRun">Only report what would be purged: nothing is deleted, rescheduled or moved.</param>
    /// <param name="maxEntries">Entries to read at most; the rest wait for the next run (<see cref="SweepReport.Complete"/> false).</param>
    /// <param name="cancellationToken">Stops the sweep (as a crash would: the next one carries on).</param>
    public async Task<SweepReport> RunAsync(bool dryRun, int maxEntries, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        var now = expiry.Time.GetUtcNow();
        var to = ExpiryIndex.BucketOf(now);
        var cursor = await expiry.GetCursorAsync(cancellationToken).ConfigureAwait(false);
        var from = cursor is null ? "0000000000" : ExpiryIndex.BucketOf(ExpiryIndex.StartOf(cursor) - (LookbackBuckets * ExpiryIndex.BucketWidth));
        var tally = new KindTally();
        var items = new List<SweepItem>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        string? keepFrom = null;
        string? continuation = null;
        var read = 0;
        do
        {
            var (entries, next) = await expiry.ReadAsync(from, to, Math.Min(PageSize, maxEntries - read), continuation, cancellationToken).ConfigureAwait(false);
            read += entries.Count;
            var finished = new List<ExpiryEntry>();
            foreach (var group in entries.GroupBy(e => e.UserKey, StringComparer.Ordinal))
            {
                UserSweep? user = null;
                LegalHold? hold = null;
                foreach (var entry in group)
                {
                    var outcome = "deferred";
                    if (RetentionRules.Named(entry.Rule) is not { } rule || !IsUserKey(entry.UserKey))
                    {
                        outcome = "stale";
                        finished.Add(entry);
                    }
                    else if (entry.DueAt <= now)
                    {
                        if (user is null)
                        {
                            user = new UserSweep(storage, expiry, UserPartition.FromKey(entry.UserKey), now, dryRun, tally);
                            hold = await holds.GetAsync(user.User, cancellationToken).ConfigureAwait(false);
                        }

                        outcome = await HandleAsync(user, hold, rule, entry, finished, cancellationToken).ConfigureAwait(false);
                    }

                    if (outcome == "deferred")
                    {
                        keepFrom = keepFrom is null || string.CompareOrdinal(entry.Bucket, keepFrom) < 0 ? entry.Bucket : keepFrom;
                    }

                    counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
                    items.Add(new SweepItem(entry.UserKey, entry.Rule, entry.Subject, outcome));
                }
            }

            if (!dryRun)
            {
                await expiry.DeleteAsync(finished, cancellationToken).ConfigureAwait(false);
            }

            continuation = next;
        }
        while (continuation is not null && read < maxEntries);

        var complete = continuation is null;
        if (!dryRun && complete)
        {
            await expiry.SetCursorAsync(keepFrom ?? to, cancellationToken).ConfigureAwait(false);
        }

        return new SweepReport(
            dryRun, now, expiry.Time.GetUtcNow(), read, counts.GetValueOrDefault("purged"), counts.GetValueOrDefault("stale"), counts.GetValueOrDefault("rescheduled"),
            counts.GetValueOrDefault("held"), counts.GetValueOrDefault("deferred"), tally.ToList(), items, complete);
    }

    /// <summary>Handles one due entry; adds it to <paramref name="finished"/> when it can go.</summary>
    private async Task<string> HandleAsync(UserSweep user, LegalHold? hold, RetentionRule rule, ExpiryEntry entry, List<ExpiryEntry> finished, CancellationToken cancellationToken)
    {
        if (hold is not null)
        {
            // Nothing of a held user is purged; the entry keeps its due time and is looked at again later.
            await MoveAsync(user, rule, entry, entry.DueAt, user.Now + LegalHolds.RecheckAfter, finished, cancellationToken).ConfigureAwait(false);
            return "held";
        }

        var outcome = rule.Purge is { } purge ? (rule.Scope == RetentionScope.Rows && !user.FirstRunOf(rule) ? PurgeOutcome.Done : await purge(user, entry, cancellationToken).ConfigureAwait(false))
            : rule == RetentionRules.DeletedThread ? await ThreadPurge.RunAsync(user, entry, cancellationToken).ConfigureAwait(false)
            : rule == RetentionRules.DeletedMission ? await MissionRunPurge.RunAsync(user, entry, cancellationToken).ConfigureAwait(false)
            : !user.FirstRunOf(rule) ? PurgeOutcome.Done
            : await RowsPurge.RunAsync(user, rule, cancellationToken).ConfigureAwait(false);
        switch (outcome.Status)
        {
            case PurgeStatus.Done:
                finished.Add(entry);
                return "purged";
            case PurgeStatus.Stale:
                finished.Add(entry);
                return "stale";
            case PurgeStatus.Rescheduled:
                await MoveAsync(user, rule, entry, outcome.DueAt!.Value, null, finished, cancellationToken).ConfigureAwait(false);
                return "rescheduled";
            default:
                return "deferred";
        }
    }

    /// <summary>Writes the entry again for a later bucket, and lets the old one go (unless it is the same row).</summary>
    private async Task MoveAsync(UserSweep user, RetentionRule rule, ExpiryEntry entry, DateTimeOffset dueAt, DateTimeOffset? notBefore, List<ExpiryEntry> finished, CancellationToken cancellationToken)
    {
        if (user.DryRun)
        {
            return;
        }

        var moved = await expiry.PutAsync(entry.UserKey, rule, entry.Subject, entry.From, dueAt, cancellationToken, notBefore).ConfigureAwait(false);
        if (moved.Bucket != entry.Bucket)
        {
            finished.Add(entry);
        }
    }

    private static bool IsUserKey(string key)
    {
        try
        {
            UserPartition.FromKey(key);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return false;
        }
    }
}
