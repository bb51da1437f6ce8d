using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Artifacts;

/// <summary>
/// Artifacts: rows <c>artifact|{id}</c> with index copies by kind and parent (<see cref="ArtifactEntities"/>), content
/// blobs under <c>{userKey}/art/{id}/</c>, and the quota (<see cref="ArtifactReservations"/>). An upload reserves quota,
/// streams its content into a fresh blob (compressed when its type compresses, <see cref="ArtifactCodecs"/>), then
/// commits the rows, the release of its reservation and any idempotency record in one transaction: a failed upload
/// leaves no row, at most a blob no row references, which the orphan sweep collects. A delete removes the rows first,
/// then the blob. Expiring artifacts (snapshots) are scheduled in the expiry index before their rows are written.
/// </summary>
public sealed partial class ArtifactStore
{
    /// <summary>Where the extra action given to <see cref="CommitAsync"/> (an idempotency record) stands in its transaction: a failure there names this index.</summary>
    public const int ExtraActionIndex = 0;

    /// <summary>Tries of a metadata change or delete without <c>If-Match</c> that keeps losing races.</summary>
    private const int MaxTries = 10;

    private readonly TableClient table;
    private readonly PayloadStore payloads;
    private readonly ExpiryIndex expiry;
    private readonly TimeProvider time;
    private readonly ArtifactReservations reservations;

    /// <summary>Creates the store.</summary>
    /// <param name="table">The user table.</param>
    /// <param name="payloads">The content blobs' store; its <see cref="PayloadStoreOptions.MaxExpandedBytes"/> must allow the largest upload.</param>
    /// <param name="expiry">The expiry index, where expiring artifacts are scheduled.</param>
    /// <param name="time">The clock.</param>
    public ArtifactStore(TableClient table, PayloadStore payloads, ExpiryIndex expiry, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(payloads);
        ArgumentNullException.ThrowIfNull(expiry);
        ArgumentNullException.ThrowIfNull(time);
        this.table = table;
        this.payloads = payloads;
        this.expiry = expiry;
        this.time = time;
        reservations = new ArtifactReservations(table, time);
    }

    /// <summary>A new artifact id: the inverted upload time (newest sorts first) and 32 random bits, e.g. <c>2519…-3fa9c01b</c>.</summary>
    public static string NewId(DateTimeOffset at) => UserRowKeys.InvertedTicks(at) + "-" + RandomNumberGenerator.GetHexString(8, lowercase: true);

    /// <summary>Whether <paramref name="id"/> has the shape of an artifact id (anything else names no artifact).</summary>
    public static bool IsId(string id) => Id().IsMatch(id);

    /// <summary>Reserves quota for an upload (see <see cref="ArtifactReservations"/>): <paramref name="exactBytes"/>, or for a body of unknown length what the quota allows up to <paramref name="maxBytes"/>.</summary>
    /// <exception cref="ArtifactQuotaExceededException">The quota does not have room.</exception>
    /// <exception cref="ArtifactUploadsBusyException">The user has <paramref name="maxInFlight"/> uploads in flight already.</exception>
    public Task<QuotaReservation> ReserveAsync(UserPartition user, long? exactBytes, long maxBytes, long quotaBytes, int maxInFlight, TimeSpan lifetime, CancellationToken cancellationToken) =>
        reservations.ReserveAsync(user, exactBytes, maxBytes, quotaBytes, maxInFlight, lifetime, cancellationToken);

    /// <summary>Gives back the reservation of an upload that failed (best effort: one that cannot be removed lapses).</summary>
    public Task ReleaseAsync(UserPartition user, QuotaReservation reservation, CancellationToken cancellationToken) =>
        reservations.ReleaseAsync(user, reservation, cancellationToken);

    /// <summary>The raw bytes of the user's stored artifacts (what the quota counts, besides reservations).</summary>
    public Task<long> StoredBytesAsync(UserPartition user, CancellationToken cancellationToken) => reservations.StoredBytesAsync(user, cancellationToken);

    /// <summary>
    /// Streams <paramref name="content"/> into a new blob in artifact <paramref name="artifactId"/>'s folder, compressed
    /// when <paramref name="contentType"/> compresses, counting and hashing the raw bytes; memory stays bounded whatever
    /// the length. The blob is referenced by nothing until <see cref="CommitAsync"/>.
    /// </summary>
    public Task<PayloadReference> WriteContentAsync(UserPartition user, string artifactId, Stream content, string contentType, CancellationToken cancellationToken) =>
        payloads.WriteAsync(UserBlobNames.Folder(user.Key, UserBlobNames.Artifacts, artifactId), content, contentType, ArtifactCodecs.For(contentType, payloads.Codec), cancellationToken);

    /// <summary>
    /// Commits an uploaded artifact: its rows, the removal of its reservation and <paramref name="extra"/> (an idempotency
    /// record, at <see cref="ExtraActionIndex"/>) in one transaction; expiring artifacts are scheduled first.
    /// </summary>
    /// <exception cref="ArtifactQuotaExceededException">The reservation lapsed and the quota no longer has room.</exception>
    /// <exception cref="RequestFailedException">409 at <see cref="ExtraActionIndex"/>: <paramref name="extra"/>'s row exists (a race on an idempotency key).</exception>
    public Task<ArtifactRecord> CommitAsync(UserPartition user, ArtifactRecord artifact, QuotaReservation reservation, long quotaBytes, TableTransactionAction? extra, CancellationToken cancellationToken) =>
        CommitRowsAsync(user, artifact, replacing: null, reservation, quotaBytes, extra, cancellationToken);

    /// <summary>
    /// Writes an artifact carried by a bundle, with its own id and times: quota reserved for its length (less what
    /// <paramref name="replacing"/> frees), <paramref name="content"/> streamed into a fresh blob (compressed as an upload
    /// of its type is), then its rows committed with the reservation's release, in place of <paramref name="replacing"/>'s
    /// rows (under their ETag) when given, whose blob is deleted last. A failure on the way leaves what was there, gives
    /// the reservation back, and at most a blob no row references (the orphan sweep's).
    /// </summary>
    /// <param name="user">The user.</param>
    /// <param name="artifactId">The artifact's id (its content folder).</param>
    /// <param name="rawBytes">The content's length, as the bundle lists it.</param>
    /// <param name="contentType">The content type (it decides the codec).</param>
    /// <param name="content">The raw content; a stream that checks itself (a bundle's blob) fails its last read when it is not what was listed.</param>
    /// <param name="artifact">The record to write, given the written content.</param>
    /// <param name="replacing">The artifact with this id that the import overwrites, or null for a new one.</param>
    /// <param name="quota">The quota's settings.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <exception cref="ArtifactQuotaExceededException">The quota does not have room.</exception>
    /// <exception cref="ArtifactUploadsBusyException">The user has the most uploads in flight.</exception>
    /// <exception cref="RequestFailedException">409 or 412 on the artifact's row: it was created or changed meanwhile.</exception>
    public async Task<ArtifactRecord> ImportAsync(
        UserPartition user, string artifactId, long rawBytes, string contentType, Stream content, Func<PayloadReference, ArtifactRecord> artifact, ArtifactRecord? replacing,
        ArtifactQuota quota, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(quota);
        var needed = Math.Max(0, rawBytes - (replacing?.Content.RawBytes ?? 0));
        var reservation = await ReserveAsync(user, needed, needed, quota.MaxBytesPerUser, quota.MaxUploadsInFlight, quota.ReservationLifetime, cancellationToken).ConfigureAwait(false);
        PayloadReference? written = null;
        var committed = false;
        try
        {
            written = await WriteContentAsync(user, artifactId, content, contentType, cancellationToken).ConfigureAwait(false);
            var record = await CommitRowsAsync(user, artifact(written), replacing, reservation, quota.MaxBytesPerUser, extra: null, cancellationToken).ConfigureAwait(false);
            committed = true;
            if (replacing is not null)
            {
                await DiscardContentAsync(replacing.Content).ConfigureAwait(false);
            }

            return record;
        }
        finally
        {
            if (!committed)
            {
                if (written is not null)
                {
                    await DiscardContentAsync(written).ConfigureAwait(false);
                }

                await reservations.ReleaseAsync(user, reservation, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes the content blob of an upload that did not commit (best effort: one left behind is an orphan for the sweep).</summary>
    public async Task DiscardContentAsync(PayloadReference content)
    {
        ArgumentNullException.ThrowIfNull(content);
        try
        {
            await payloads.DeleteAsync(content, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            // The orphan sweep deletes it after its grace period.
        }
    }

    /// <summary>Reads one artifact, or null.</summary>
    public async Task<ArtifactRecord?> GetAsync(UserPartition user, string artifactId, CancellationToken cancellationToken)
    {
        var entity = await table.FindAsync(user.Key, UserRowKeys.ForArtifact(artifactId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ArtifactEntities.ToRecord(entity);
    }

    /// <summary>
    /// One page of the user's artifacts, newest first: all of them, those of <paramref name="kind"/> (its index), those of
    /// <paramref name="parent"/> (its index, filtered by kind when both are given).
    /// </summary>
    public async Task<(IReadOnlyList<ArtifactRecord> Items, string? Next)> ListAsync(UserPartition user, string? kind, string? parent, int limit, string? continuation, CancellationToken cancellationToken)
    {
        var filter = parent is not null
            ? kind is null
                ? TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.ArtifactsOfParent(parent))
                : TableFilters.And(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.ArtifactsOfParent(parent)), TableClient.CreateQueryFilter($"Kind eq {kind}"))
            : kind is not null
                ? TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.ArtifactsOfKind(kind))
                : OwnRows(user);
        var page = await table.ReadPageAsync(filter, limit, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ArtifactEntities.ToRecord).ToList(), page.Continuation);
    }

    /// <summary>
    /// Changes an artifact's metadata: reads it, applies <paramref name="change"/> (name, starred, expiry; kind, parent and
    /// content stay), and replaces its row under the read ETag together with its copies. With <paramref name="ifMatch"/> the
    /// version must be current; without, a lost race re-reads and re-applies. A new expiry is scheduled before the write.
    /// </summary>
    /// <returns>The changed artifact, or null when it does not exist.</returns>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is not the current version.</exception>
    public async Task<ArtifactRecord?> UpdateAsync(UserPartition user, string artifactId, ETag? ifMatch, Func<ArtifactRecord, DateTimeOffset, ArtifactRecord> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            var current = await GetAsync(user, artifactId, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return null;
            }

            ThrowIfStale(ifMatch, current.ETag);
            var now = time.GetUtcNow();
            var next = change(current, now) with { Id = current.Id, Kind = current.Kind, Parent = current.Parent, Content = current.Content, CreatedAt = current.CreatedAt, UpdatedAt = now };
            if (next.ExpiresAt is { } expiresAt && expiresAt != current.ExpiresAt)
            {
                await expiry.ScheduleRowsAsync(user, RetentionRules.Artifact, expiresAt, cancellationToken).ConfigureAwait(false);
            }

            var rows = ArtifactEntities.Rows(user, next).ToList();
            var actions = rows.Select((row, i) => i == 0
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, current.ETag)
                : new TableTransactionAction(TableTransactionActionType.UpsertReplace, row)).ToList();
            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                return next with { ETag = etags[0] ?? default };
            }
            catch (RequestFailedException e) when (e.Status == 404 && e.FailedActionIndex() == 0)
            {
                return null;
            }
            catch (RequestFailedException e) when (e.Status == 412 && e.FailedActionIndex() == 0 && IsAny(ifMatch) && attempt < MaxTries)
            {
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes an artifact: its rows in one transaction (under <paramref name="ifMatch"/> when given), then its blob.</summary>
    /// <returns>The deleted artifact, or null when it does not exist.</returns>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is not the current version.</exception>
    public async Task<ArtifactRecord?> DeleteAsync(UserPartition user, string artifactId, ETag? ifMatch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await GetAsync(user, artifactId, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return null;
            }

            ThrowIfStale(ifMatch, current.ETag);
            var actions = ArtifactEntities.RowKeys(current)
                .Select((key, i) => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(user.Key, key), i == 0 ? current.ETag : ETag.All))
                .ToList();
            try
            {
                await DeleteRowsAsync(actions, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }
            catch (RequestFailedException e) when (e.Status == 412 && IsAny(ifMatch) && attempt < MaxTries)
            {
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Rows first, then the blob (design.md §3); a blob whose delete fails is an orphan for the sweep.
            await DiscardContentAsync(current.Content).ConfigureAwait(false);
            return current;
        }
    }

    /// <summary>
    /// Opens an artifact's raw content from byte <paramref name="offset"/>, <paramref name="length"/> bytes or to the end.
    /// Content stored as is is read from the blob at that range; compressed content is inflated from its start and the
    /// bytes before <paramref name="offset"/> are skipped (costing their decompression). Read whole, it is checked against
    /// its recorded length and SHA-256 at the end.
    /// </summary>
    /// <exception cref="RequestFailedException">404 when the blob is missing.</exception>
    public async Task<Stream> OpenContentAsync(ArtifactRecord artifact, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var whole = offset == 0 && (length is null || length == artifact.Content.RawBytes);
        if (whole)
        {
            return await payloads.OpenReadAsync(artifact.Content, cancellationToken).ConfigureAwait(false);
        }

        if (IsStoredAsIs(artifact))
        {
            return await payloads.OpenStoredAsync(artifact.Content, offset, length, cancellationToken).ConfigureAwait(false);
        }

        return new SlicedReadStream(await payloads.OpenReadAsync(artifact.Content, cancellationToken).ConfigureAwait(false), offset, length);
    }

    /// <summary>Opens an artifact's content as stored (compressed with the codec its <see cref="PayloadReference.Codec"/> names).</summary>
    /// <exception cref="RequestFailedException">404 when the blob is missing.</exception>
    public Task<Stream> OpenStoredAsync(ArtifactRecord artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return payloads.OpenStoredAsync(artifact.Content, cancellationToken: cancellationToken);
    }

    /// <summary>Whether the artifact's content is stored uncompressed.</summary>
    public static bool IsStoredAsIs(ArtifactRecord artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return artifact.Content.Codec == PayloadCodec.Identity.Name;
    }

    /// <summary>The filter of the user's artifact rows themselves (not their index copies nor the reservations), newest first.</summary>
    internal static string OwnRows(UserPartition user) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.Artifacts} and RowKey lt {UserRowKeys.ArtifactsEnd}");

    /// <summary>
    /// Commits an artifact's rows (in place of <paramref name="replacing"/>'s, under its ETag, when given), the removal of
    /// its reservation and <paramref name="extra"/> (at <see cref="ExtraActionIndex"/>) in one transaction; expiring
    /// artifacts are scheduled first. A reservation race is decided again.
    /// </summary>
    private async Task<ArtifactRecord> CommitRowsAsync(
        UserPartition user, ArtifactRecord artifact, ArtifactRecord? replacing, QuotaReservation reservation, long quotaBytes, TableTransactionAction? extra, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(reservation);
        if (artifact.ExpiresAt is { } expiresAt)
        {
            await expiry.ScheduleRowsAsync(user, RetentionRules.Artifact, expiresAt, cancellationToken).ConfigureAwait(false);
        }

        var added = artifact.Content.RawBytes - (replacing?.Content.RawBytes ?? 0);
        for (var attempt = 1; ; attempt++)
        {
            var actions = new List<TableTransactionAction>();
            if (extra is not null)
            {
                actions.Add(extra);
            }

            var own = actions.Count;
            actions.AddRange(RowActions(user, artifact, replacing));
            actions.Add(await reservations.CommitActionAsync(user, reservation, added, quotaBytes, cancellationToken).ConfigureAwait(false));
            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                return artifact with { ETag = etags[own] ?? default };
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && e.FailedActionIndex() == actions.Count - 1 && attempt < MaxTries)
            {
                // Another upload of the user reserved or committed meanwhile: decide again on the row as it is now.
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The writes of an artifact's rows: added; or in place of <paramref name="replacing"/>'s (its own row under its ETag, copies it no longer has deleted).</summary>
    private static IEnumerable<TableTransactionAction> RowActions(UserPartition user, ArtifactRecord artifact, ArtifactRecord? replacing)
    {
        var rows = ArtifactEntities.Rows(user, artifact).ToList();
        if (replacing is null)
        {
            return rows.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row));
        }

        var kept = rows.Select(r => r.RowKey).ToHashSet(StringComparer.Ordinal);
        return rows.Select((row, i) => i == 0
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, replacing.ETag)
                : new TableTransactionAction(TableTransactionActionType.UpsertReplace, row))
            .Concat(ArtifactEntities.RowKeys(replacing).Where(key => !kept.Contains(key))
                .Select(key => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(user.Key, key), ETag.All)));
    }

    /// <summary>Deletes the rows; an index copy already gone (a purge that stopped between pages) is left out and the rest sent again.</summary>
    private async Task DeleteRowsAsync(List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 404 && e.FailedActionIndex() is int copy && copy > 0 && copy < actions.Count)
            {
                actions.RemoveAt(copy);
            }
        }
    }

    private static bool IsAny(ETag? ifMatch) => ifMatch is null || ifMatch == ETag.All;

    private static void ThrowIfStale(ETag? ifMatch, ETag current)
    {
        if (!IsAny(ifMatch) && ifMatch != current)
        {
            throw new RequestFailedException(412, "The artifact has changed.", "UpdateConditionNotSatisfied", null);
        }
    }

    [GeneratedRegex("^[0-9]{19}-[0-9a-f]{8}$")]
    private static partial Regex Id();
}
