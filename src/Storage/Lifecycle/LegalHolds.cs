using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>A legal hold on a user's data: while it is placed, nothing of the user is purged or erased.</summary>
/// <param name="Reason">Why (a case reference), for operators; never shown to the user.</param>
/// <param name="PlacedAt">When it was placed.</param>
public sealed record LegalHold(string Reason, DateTimeOffset PlacedAt);

/// <summary>
/// Legal holds, one row per held user (<c>lifecycle|hold</c> in the user's partition, a row no user-facing route
/// writes: the settings API only reaches <c>setting|…</c> rows). The retention sweep skips a held user's entries
/// and looks again <see cref="RecheckAfter"/> later; the orphan sweep skips the user; erasure refuses to start.
/// </summary>
public sealed class LegalHolds(TableClient users, TimeProvider time)
{
    /// <summary>How long the sweep puts off a held user's expiry entries before it looks again.</summary>
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromDays(1);

    /// <summary>Places (or replaces) a hold.</summary>
    public async Task<LegalHold> PlaceAsync(UserPartition user, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var hold = new LegalHold(reason, time.GetUtcNow());
        await users.UpsertAsync(
            new TableEntity(user.Key, UserRowKeys.LegalHold) { ["Reason"] = hold.Reason, ["PlacedAt"] = hold.PlacedAt },
            TableUpdateMode.Replace,
            cancellationToken).ConfigureAwait(false);
        return hold;
    }

    /// <summary>Releases the hold; false when there was none.</summary>
    public Task<bool> ReleaseAsync(UserPartition user, CancellationToken cancellationToken) =>
        users.DeleteRowAsync(user.Key, UserRowKeys.LegalHold, ETag.All, cancellationToken);

    /// <summary>The user's hold, or null.</summary>
    public async Task<LegalHold?> GetAsync(UserPartition user, CancellationToken cancellationToken) =>
        await users.FindAsync(user.Key, UserRowKeys.LegalHold, cancellationToken: cancellationToken).ConfigureAwait(false) is { } row
            ? new LegalHold(row.GetString("Reason") ?? string.Empty, row.GetDateTimeOffset("PlacedAt") ?? DateTimeOffset.MinValue)
            : null;
}

/// <summary>The user is under a legal hold, so their data may not be erased.</summary>
public sealed class LegalHoldException() : InvalidOperationException("The user's data is under a legal hold; it cannot be erased until the hold is released.");

/// <summary>The user's data is being erased: nothing is written or computed for them until the erasure ends.</summary>
public sealed class ErasureInProgressException() : InvalidOperationException("The user's data is being erased; nothing can be written or computed for them until the erasure ends.");
