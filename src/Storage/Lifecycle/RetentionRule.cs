using Azure.Data.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>How a rule's expiry index entries name what they purge.</summary>
public enum RetentionScope
{
    /// <summary>One entry per thing that became expirable (a deleted thread, a deleted mission): its purge drags along everything that thing owns.</summary>
    Subject,

    /// <summary>
    /// One entry per user and hour in which rows of the kind were written; the purge re-reads the kind's rows of
    /// the user and deletes those whose own time says they expired (idempotency records; later snapshots, events).
    /// </summary>
    Rows,
}

/// <summary>
/// When something of a user expires: a name (the <c>_retention</c> setting key and the expiry index's), the kind it
/// purges, a default retention, and for <see cref="RetentionScope.Rows"/> rules when each row's clock starts.
/// <see cref="RetentionRules"/> lists them; adding a kind with a default retention is one
/// <see cref="ForRows"/> line there plus a <see cref="ExpiryIndex.ScheduleRowsAsync"/> call where its rows are written.
/// </summary>
public sealed class RetentionRule
{
    private RetentionRule(string name, UserDataKind kind, RetentionScope scope, TimeSpan defaultRetention, bool userOverridable, IReadOnlyList<string> columns, Func<TableEntity, DateTimeOffset?>? expiresFrom)
    {
        Name = name;
        Kind = kind;
        Scope = scope;
        DefaultRetention = defaultRetention;
        UserOverridable = userOverridable;
        Columns = columns;
        ExpiresFrom = expiresFrom;
    }

    /// <summary>The stable name, e.g. <c>thread.deleted</c>.</summary>
    public string Name { get; }

    /// <summary>The kind whose rows it purges (with what they drag along).</summary>
    public UserDataKind Kind { get; }

    /// <summary>What its index entries name.</summary>
    public RetentionScope Scope { get; }

    /// <summary>The retention when the deployment configures none (<see cref="RetentionPolicy"/>).</summary>
    public TimeSpan DefaultRetention { get; }

    /// <summary>Whether a user's <c>_retention</c> setting may change it (<see cref="RetentionSettings"/>).</summary>
    public bool UserOverridable { get; }

    /// <summary>For <see cref="RetentionScope.Rows"/>: the columns <see cref="ExpiresFrom"/> reads.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>For <see cref="RetentionScope.Rows"/>: when a row's retention starts, or null when it never expires (e.g. a starred snapshot).</summary>
    public Func<TableEntity, DateTimeOffset?>? ExpiresFrom { get; }

    /// <summary>
    /// For <see cref="RetentionScope.Rows"/> kinds whose row keys sort by time: the filter of the user's rows written
    /// before a cutoff, so the purge reads only what expired (cost follows what expired, not what is stored) instead of
    /// every row of the kind. Null: the purge reads the kind's rows and asks <see cref="ExpiresFrom"/>.
    /// </summary>
    public Func<UserPartition, DateTimeOffset, string>? ExpiredRange { get; private init; }

    /// <summary>
    /// A purge of its own for a kind whose rows drag others along (list rows, counters), run instead of the generic
    /// one (once per sweep and user for <see cref="RetentionScope.Rows"/> rules, per entry for subject rules).
    /// </summary>
    internal Func<UserSweep, ExpiryEntry, CancellationToken, Task<PurgeOutcome>>? Purge { get; private init; }

    /// <summary>A rule whose entries each name one subject; its purge is written for it (<see cref="RetentionSweep"/>).</summary>
    public static RetentionRule ForSubjects(string name, UserDataKind kind, TimeSpan defaultRetention, bool userOverridable) =>
        new(name, kind, RetentionScope.Subject, defaultRetention, userOverridable, [], null);

    /// <summary>
    /// A rule for rows that expire on their own: <paramref name="kind"/>'s rows go <paramref name="defaultRetention"/>
    /// after <paramref name="expiresFrom"/> says (null: never), with the blobs they reference.
    /// </summary>
    public static RetentionRule ForRows(UserDataKind kind, TimeSpan defaultRetention, bool userOverridable, IReadOnlyList<string> columns, Func<TableEntity, DateTimeOffset?> expiresFrom) =>
        new(kind.Name, kind, RetentionScope.Rows, defaultRetention, userOverridable, columns, expiresFrom);

    /// <summary>A rows rule whose rows sort by time: its purge reads only <paramref name="expiredRange"/> (rows older than the cutoff).</summary>
    public static RetentionRule ForTimeOrderedRows(
        UserDataKind kind, TimeSpan defaultRetention, bool userOverridable, IReadOnlyList<string> columns, Func<TableEntity, DateTimeOffset?> expiresFrom, Func<UserPartition, DateTimeOffset, string> expiredRange) =>
        new(kind.Name, kind, RetentionScope.Rows, defaultRetention, userOverridable, columns, expiresFrom) { ExpiredRange = expiredRange };

    /// <summary>A rule with a purge of its own (<see cref="Purge"/>).</summary>
    internal static RetentionRule WithPurge(
        string name, UserDataKind kind, RetentionScope scope, TimeSpan defaultRetention, bool userOverridable, Func<UserSweep, ExpiryEntry, CancellationToken, Task<PurgeOutcome>> purge) =>
        new(name, kind, scope, defaultRetention, userOverridable, [], null) { Purge = purge };

    /// <inheritdoc />
    public override string ToString() => Name;
}
