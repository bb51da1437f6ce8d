using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>What a purge did with its expiry entry.</summary>
internal enum PurgeStatus
{
    /// <summary>Purged: the entry goes.</summary>
    Done,

    /// <summary>Nothing to purge (restored, recreated, already purged): the entry goes.</summary>
    Stale,

    /// <summary>Not due for this user after all (a longer retention setting): the entry moves to <see cref="PurgeOutcome.DueAt"/>.</summary>
    Rescheduled,

    /// <summary>Due, but not purgeable in this sweep (see <see cref="ThreadScan"/>): the entry stays for the next.</summary>
    Deferred,
}

/// <summary>A purge's outcome.</summary>
internal readonly record struct PurgeOutcome(PurgeStatus Status, DateTimeOffset? DueAt = null)
{
    public static PurgeOutcome Done { get; } = new(PurgeStatus.Done);

    public static PurgeOutcome Stale { get; } = new(PurgeStatus.Stale);

    public static PurgeOutcome Deferred { get; } = new(PurgeStatus.Deferred);

    public static PurgeOutcome Reschedule(DateTimeOffset dueAt) => new(PurgeStatus.Rescheduled, dueAt);
}

/// <summary>One user's share of a retention sweep: what its purges share, read at most once per sweep.</summary>
internal sealed class UserSweep(LifecycleStorage storage, ExpiryIndex expiry, UserPartition user, DateTimeOffset now, bool dryRun, KindTally tally)
{
    private readonly SettingsStore settings = new(storage.Users);
    private RetentionSettings? retention;
    private ThreadScan? threads;
    private readonly HashSet<string> rowRulesRun = new(StringComparer.Ordinal);

    public UserPartition User => user;

    public DateTimeOffset Now => now;

    public bool DryRun => dryRun;

    public LifecycleStorage Storage => storage;

    public ExpiryIndex Expiry => expiry;

    public Deleter Deleter { get; } = new(storage, user, dryRun, tally);

    /// <summary>The user's retention for <paramref name="rule"/> (their <c>_retention</c> settings are read once).</summary>
    public async Task<TimeSpan> RetentionAsync(RetentionRule rule, CancellationToken cancellationToken)
    {
        retention ??= await RetentionSettings.ReadAsync(settings, user, cancellationToken).ConfigureAwait(false);
        return expiry.Policy.For(rule, retention);
    }

    /// <summary>
    /// Whether a <see cref="RetentionScope.Rows"/> rule still has to run for this user in this sweep: its purge reads
    /// all the kind's rows of the user, so one run serves every hour entry of the rule that is due.
    /// </summary>
    public bool FirstRunOf(RetentionRule rule) => rowRulesRun.Add(rule.Name);

    /// <summary>The user's threads' lineage (read once).</summary>
    public async Task<ThreadScan> ThreadsAsync(CancellationToken cancellationToken) =>
        threads ??= await ThreadScan.ReadAsync(storage.Users, user, now, cancellationToken).ConfigureAwait(false);
}
