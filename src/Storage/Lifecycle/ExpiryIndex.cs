using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// The expiry index (table <c>expiry</c>): PartitionKey = the UTC hour of the due time (<c>yyyyMMddHH</c>),
/// RowKey = <c>{userKey}|{rule}|{subject}</c>, so the retention sweep reads only the hours that are due and its cost
/// follows what expired, not what is stored. An entry cannot join the user's transaction, so it is written
/// <em>before</em> the change that makes something expirable (a soft delete, a mission delete, an idempotency
/// record), and the sweep re-checks the user's rows: an entry whose change never committed, or was undone (a
/// restore), is harmless; a missing one cannot happen. A cursor row remembers the oldest hour that may still hold
/// entries.
/// </summary>
/// <remarks>
/// Hour buckets: a day is 24 partitions, so a nightly sweep reads 24 small ranges' worth of one range query, and
/// no partition collects more than an hour of expiries (the service spreads partitions across servers). A due time
/// already past goes into the current hour, so an entry is never behind the cursor.
/// </remarks>
public sealed class ExpiryIndex
{
    /// <summary>The width of a bucket.</summary>
    public static readonly TimeSpan BucketWidth = TimeSpan.FromHours(1);

    /// <summary>PartitionKey of the cursor row; sorts after every digit bucket, so bucket ranges never include it.</summary>
    internal const string CursorPartition = "cursor";

    private const string CursorRow = "RetentionSweep";
    private const string BucketFormat = "yyyyMMddHH";
    private const string DueColumn = "DueAt";
    private const string FromColumn = "From";

    private readonly TableClient index;
    private readonly SettingsStore settings;

    // (user, rule, hour) already written by this process, so rows written often (idempotency records) cost one
    // index write per user and hour, not one per row. Forgotten when the hour turns, which bounds it.
    private readonly ConcurrentDictionary<string, bool> writtenHours = new(StringComparer.Ordinal);
    private string writtenHour = string.Empty;

    /// <summary>Creates the index over <paramref name="index"/>, reading users' retention settings through <paramref name="settings"/>.</summary>
    public ExpiryIndex(TableClient index, SettingsStore settings, RetentionPolicy policy, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(time);
        this.index = index;
        this.settings = settings;
        Policy = policy;
        Time = time;
    }

    /// <summary>The deployment's retentions.</summary>
    public RetentionPolicy Policy { get; }

    /// <summary>The clock entries are written and swept by.</summary>
    public TimeProvider Time { get; }

    /// <summary>The bucket (PartitionKey) of a time.</summary>
    public static string BucketOf(DateTimeOffset at) => at.UtcDateTime.ToString(BucketFormat, CultureInfo.InvariantCulture);

    /// <summary>The start of a bucket.</summary>
    internal static DateTimeOffset StartOf(string bucket) =>
        new(DateTime.ParseExact(bucket, BucketFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    /// <summary>
    /// Schedules the purge of <paramref name="subject"/> under <paramref name="rule"/> (a <see cref="RetentionScope.Subject"/>
    /// rule), its retention counted from <paramref name="from"/> with the user's retention setting if the rule allows one.
    /// Call it before committing the change that makes the subject expirable.
    /// </summary>
    /// <returns>The entry written.</returns>
    public async Task<ExpiryEntry> ScheduleAsync(UserPartition user, RetentionRule rule, string subject, DateTimeOffset from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        if (rule.Scope != RetentionScope.Subject)
        {
            throw new ArgumentException($"Rule {rule.Name} expires rows by their own time: use {nameof(ScheduleRowsAsync)}.", nameof(rule));
        }

        var retention = await RetentionOfAsync(user, rule, cancellationToken).ConfigureAwait(false);
        return await PutAsync(user.Key, rule, subject, from, from + retention, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The user's retention for <paramref name="rule"/>: their <c>_retention</c> setting if the rule allows one, else the
    /// deployment's (one point read). What the sweep purges by, and so what a restore window must be measured with.
    /// </summary>
    public async Task<TimeSpan> RetentionOfAsync(UserPartition user, RetentionRule rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return await RetentionSettings.ReadAsync(settings, user, rule, cancellationToken).ConfigureAwait(false) ?? Policy.DefaultFor(rule);
    }

    /// <summary>
    /// Makes sure the rows of <paramref name="rule"/>'s kind written at <paramref name="writtenAt"/> will be looked at
    /// once they can have expired: one entry per user and hour (a <see cref="RetentionScope.Rows"/> rule), written at
    /// most once per hour by this process. Call it before writing such a row.
    /// </summary>
    public async Task ScheduleRowsAsync(UserPartition user, RetentionRule rule, DateTimeOffset writtenAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Scope != RetentionScope.Rows)
        {
            throw new ArgumentException($"Rule {rule.Name} names subjects: use {nameof(ScheduleAsync)}.", nameof(rule));
        }

        var hour = new DateTimeOffset(writtenAt.UtcTicks - (writtenAt.UtcTicks % BucketWidth.Ticks), TimeSpan.Zero);
        var subject = BucketOf(hour);
        ForgetOtherHours(BucketOf(Time.GetUtcNow()));
        var key = $"{user.Key}|{rule.Name}|{subject}";
        if (!writtenHours.TryAdd(key, true))
        {
            return;
        }

        try
        {
            var retention = await RetentionOfAsync(user, rule, cancellationToken).ConfigureAwait(false);
            await PutAsync(user.Key, rule, subject, hour, hour + BucketWidth + retention, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            writtenHours.TryRemove(key, out _);
            throw;
        }
    }

    /// <summary>
    /// Writes (idempotently) the entry for <paramref name="subject"/>, in the bucket of its due time, or of now or
    /// <paramref name="notBefore"/> if later (a held user's entries are put off without changing their due time).
    /// </summary>
    internal async Task<ExpiryEntry> PutAsync(string userKey, RetentionRule rule, string subject, DateTimeOffset from, DateTimeOffset dueAt, CancellationToken cancellationToken, DateTimeOffset? notBefore = null)
    {
        var now = Time.GetUtcNow();
        var bucketTime = new[] { dueAt, now, notBefore ?? now }.Max();
        var entry = new ExpiryEntry(BucketOf(bucketTime), RowKeyOf(userKey, rule.Name, subject), userKey, rule.Name, subject, from, dueAt);
        await index.UpsertAsync(new TableEntity(entry.Bucket, entry.RowKey) { [DueColumn] = dueAt, [FromColumn] = from }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return entry;
    }

    /// <summary>Up to <paramref name="limit"/> entries in buckets <paramref name="fromBucket"/> through <paramref name="toBucket"/>, oldest bucket first.</summary>
    internal async Task<(IReadOnlyList<ExpiryEntry> Entries, string? Continuation)> ReadAsync(string fromBucket, string toBucket, int limit, string? continuation, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {fromBucket} and PartitionKey le {toBucket}");
        var page = await index.ReadPageAsync(filter, limit, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ToEntry).OfType<ExpiryEntry>().ToList(), page.Continuation);
    }

    /// <summary>Deletes entries (already gone is fine), in transactions per bucket.</summary>
    internal async Task<int> DeleteAsync(IEnumerable<ExpiryEntry> entries, CancellationToken cancellationToken) =>
        (await index.DeleteRowsAsync(entries.Select(e => new TableEntity(e.Bucket, e.RowKey) { ETag = ETag.All }), cancellationToken).ConfigureAwait(false)).Count;

    /// <summary>The oldest bucket that may still hold entries, or null before the first sweep.</summary>
    internal async Task<string?> GetCursorAsync(CancellationToken cancellationToken) =>
        (await index.FindAsync(CursorPartition, CursorRow, cancellationToken: cancellationToken).ConfigureAwait(false))?.GetString("Bucket");

    /// <summary>Moves the cursor (last write wins: a sweep moves it only past buckets it read to the end).</summary>
    internal Task SetCursorAsync(string bucket, CancellationToken cancellationToken) =>
        index.UpsertAsync(new TableEntity(CursorPartition, CursorRow) { ["Bucket"] = bucket }, TableUpdateMode.Replace, cancellationToken);

    private static string RowKeyOf(string userKey, string rule, string subject) =>
        KeyEncoding.ComposeEncoded(userKey, KeyEncoding.Encode(rule), KeyEncoding.Encode(subject));

    private static ExpiryEntry? ToEntry(TableEntity e)
    {
        var parts = e.RowKey.Split(KeyEncoding.Separator);
        if (parts.Length != 3 || e.GetDateTimeOffset(DueColumn) is not { } due)
        {
            return null;
        }

        return new ExpiryEntry(e.PartitionKey, e.RowKey, parts[0], KeyEncoding.Decode(parts[1]), KeyEncoding.Decode(parts[2]), e.GetDateTimeOffset(FromColumn) ?? due, due);
    }

    private void ForgetOtherHours(string hour)
    {
        if (writtenHour == hour)
        {
            return;
        }

        lock (writtenHours)
        {
            if (writtenHour != hour)
            {
                writtenHours.Clear();
                writtenHour = hour;
            }
        }
    }
}
