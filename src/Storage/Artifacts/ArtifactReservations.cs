using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Artifacts;

/// <summary>
/// The artifact quota. What a user stores is never counted in a counter, which retention purges and failed writes would
/// make drift: it is summed from the artifact rows themselves (one projected query per 1,000 artifacts). What is not yet
/// stored, the uploads in flight, is held in one row, <c>artifact|~quota</c>: a list of reservations, each with a
/// lifetime, written under the row's ETag. An upload reserves before it reads its body; its commit removes the
/// reservation in the same transaction that writes the artifact; a failed upload removes it, and a crashed one's
/// lapses. So <c>stored + reserved ≤ quota</c> holds at every decision: two uploads racing for the last bytes meet
/// on the row's ETag, and the loser decides again with the winner's reservation counted.
/// </summary>
internal sealed class ArtifactReservations(TableClient table, TimeProvider time)
{
    /// <summary>Tries on one decision before giving up on a row that keeps changing.</summary>
    private const int MaxTries = 20;

    private const string ListColumn = "Reservations";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reserves <paramref name="exactBytes"/>, or for a body of unknown length as much as the quota allows up to <paramref name="maxBytes"/>.</summary>
    /// <exception cref="ArtifactQuotaExceededException">The quota does not have room.</exception>
    /// <exception cref="ArtifactUploadsBusyException"><paramref name="maxInFlight"/> reservations are held already.</exception>
    public async Task<QuotaReservation> ReserveAsync(UserPartition user, long? exactBytes, long maxBytes, long quotaBytes, int maxInFlight, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var held = await ReadAsync(user, cancellationToken).ConfigureAwait(false);
            if (held.Live.Count >= maxInFlight)
            {
                throw new ArtifactUploadsBusyException(held.Live.Count);
            }

            var used = await StoredBytesAsync(user, cancellationToken).ConfigureAwait(false) + held.Live.Sum(e => e.Bytes);
            var room = quotaBytes - used;
            var bytes = exactBytes ?? Math.Min(maxBytes, room);
            if (bytes > room || (exactBytes is null && bytes <= 0))
            {
                throw new ArtifactQuotaExceededException(quotaBytes, used, Math.Max(bytes, 1));
            }

            var entry = new Entry(RandomNumberGenerator.GetHexString(16, lowercase: true), bytes, time.GetUtcNow() + lifetime);
            if (await TryWriteAsync(user, [.. held.Live, entry], held.ETag, cancellationToken).ConfigureAwait(false))
            {
                return new QuotaReservation(entry.Id, bytes);
            }

            await LostAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The transaction action that removes <paramref name="reservation"/> as the artifact of <paramref name="rawBytes"/>
    /// commits, conditional on the row as read now. When the reservation has lapsed (an upload that outlived it), the
    /// quota is decided again for the artifact's actual size, as a new reservation would be.
    /// </summary>
    /// <exception cref="ArtifactQuotaExceededException">The reservation lapsed and the quota no longer has room.</exception>
    public async Task<TableTransactionAction> CommitActionAsync(UserPartition user, QuotaReservation reservation, long rawBytes, long quotaBytes, CancellationToken cancellationToken)
    {
        var held = await ReadAsync(user, cancellationToken).ConfigureAwait(false);
        var others = held.Live.Where(e => e.Id != reservation.Id).ToList();
        if (others.Count == held.Live.Count)
        {
            var used = await StoredBytesAsync(user, cancellationToken).ConfigureAwait(false) + others.Sum(e => e.Bytes);
            if (used + rawBytes > quotaBytes)
            {
                throw new ArtifactQuotaExceededException(quotaBytes, used, rawBytes);
            }
        }

        return WriteAction(user, others, held.ETag);
    }

    /// <summary>
    /// Gives a reservation back (a failed upload). Best effort, never throwing for storage: a reservation that cannot be
    /// removed (storage unreachable, the row busy) lapses at the end of its lifetime.
    /// </summary>
    public async Task ReleaseAsync(UserPartition user, QuotaReservation reservation, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 1; attempt < MaxTries; attempt++)
            {
                var held = await ReadAsync(user, cancellationToken).ConfigureAwait(false);
                var others = held.Live.Where(e => e.Id != reservation.Id).ToList();
                if (others.Count == held.Live.Count || await TryWriteAsync(user, others, held.ETag, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException)
        {
            // It lapses.
        }
    }

    /// <summary>The raw bytes of every stored artifact of the user: one projected query per 1,000 artifacts.</summary>
    public async Task<long> StoredBytesAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var rows = await table.ReadAllAsync(ArtifactStore.OwnRows(user), [ArtifactEntities.RawBytesColumn], cancellationToken).ConfigureAwait(false);
        return rows.Sum(r => r.GetInt64(ArtifactEntities.RawBytesColumn) ?? 0);
    }

    /// <summary>The reservations whose lifetime has not run out, and the row's ETag (null while there is no row).</summary>
    private async Task<(List<Entry> Live, ETag? ETag)> ReadAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(user.Key, UserRowKeys.ArtifactReservations, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            return ([], null);
        }

        var now = time.GetUtcNow();
        var all = row.GetString(ListColumn) is { Length: > 0 } json ? JsonSerializer.Deserialize<List<Entry>>(json, Json) ?? [] : [];
        return (all.Where(e => e.Until > now).ToList(), row.ETag);
    }

    private async Task<bool> TryWriteAsync(UserPartition user, List<Entry> entries, ETag? etag, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitAsync([WriteAction(user, entries, etag)], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>Writes the list: creates the row when there was none (409 if another write created it first), else replaces it under its ETag.</summary>
    private static TableTransactionAction WriteAction(UserPartition user, List<Entry> entries, ETag? etag)
    {
        var entity = new TableEntity(user.Key, UserRowKeys.ArtifactReservations) { [ListColumn] = JsonSerializer.Serialize(entries, Json) };
        return etag is { } current
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, current)
            : new TableTransactionAction(TableTransactionActionType.Add, entity);
    }

    private static Task LostAsync(int attempt, CancellationToken cancellationToken) => attempt >= MaxTries
        ? throw new RequestFailedException(503, "The artifact quota row kept changing; retry the upload.", "ServerBusy", null)
        : Backoff.DelayAsync(attempt, cancellationToken);

    /// <summary>One reservation: its id, the raw bytes it holds, and when it lapses.</summary>
    private sealed record Entry(string Id, long Bytes, DateTimeOffset Until);
}
