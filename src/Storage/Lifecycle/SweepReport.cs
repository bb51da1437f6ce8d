namespace Serverless.Storage.Lifecycle;

/// <summary>What a retention sweep did (or, in a dry run, would do).</summary>
/// <param name="DryRun">Whether it only looked.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="EndedAt">When it ended.</param>
/// <param name="Entries">Expiry entries read.</param>
/// <param name="Purged">Entries whose purge ran to the end.</param>
/// <param name="Stale">Entries with nothing to purge (restored, already purged): dropped.</param>
/// <param name="Rescheduled">Entries not due for their user (a longer retention setting): moved.</param>
/// <param name="Held">Entries of users under a legal hold: put off by <see cref="LegalHolds.RecheckAfter"/>.</param>
/// <param name="Deferred">Entries left for a later sweep (not yet due within the hour, or deleted too recently to vouch for forks).</param>
/// <param name="Deleted">Rows and blobs deleted (in a dry run: that would be deleted), per kind.</param>
/// <param name="Items">One line per entry handled: whose, which rule, what, and the outcome.</param>
/// <param name="Complete">Whether it read every due entry (false when it stopped at its entry budget: run it again).</param>
public sealed record SweepReport(
    bool DryRun,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    int Entries,
    int Purged,
    int Stale,
    int Rescheduled,
    int Held,
    int Deferred,
    IReadOnlyList<KindCount> Deleted,
    IReadOnlyList<SweepItem> Items,
    bool Complete);

/// <summary>One expiry entry as a sweep handled it.</summary>
/// <param name="UserKey">The user's partition key.</param>
/// <param name="Rule">The retention rule.</param>
/// <param name="Subject">The thread or mission id, or the hour of the rows.</param>
/// <param name="Outcome"><c>purged</c>, <c>stale</c>, <c>rescheduled</c>, <c>held</c> or <c>deferred</c>.</param>
public sealed record SweepItem(string UserKey, string Rule, string Subject, string Outcome);
