using System.Buffers;
using System.IO.Compression;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Autosave;

/// <summary>
/// Crash-recovery autosave slots (<c>autosave|{slot}</c>): one row per slot holding its latest state, Brotli compressed and
/// split across binary properties, so a save is one table write and touches no blob. Only a state that does not compress
/// to <see cref="MaxInlineBytes"/> (nearly random text near the 1 MiB limit) goes to a blob in the slot's folder, uploaded
/// before the row; that save reads the row first and deletes the blob it replaces after. Slots expire
/// <see cref="RetentionRules.Autosave"/>'s retention after their last save: reads treat an older slot as gone at once, and the
/// retention sweep deletes it (and its blob) from an expiry entry written at most once per user and hour.
/// </summary>
public sealed class AutosaveStore(TableClient table, PayloadStore payloads, ExpiryIndex expiry, TimeProvider time)
{
    /// <summary>The largest state, in bytes of UTF-8 JSON.</summary>
    public const int MaxStateBytes = 1024 * 1024;

    /// <summary>
    /// The most compressed bytes kept in the row: 15 properties of 48 KiB. Counted as the service's formula counts binary
    /// properties this would allow more, but a request carries them in base64 (4/3 as long), and the emulator holds the
    /// whole request to 1 MiB, so this is what fits both.
    /// </summary>
    public const int MaxInlineBytes = MaxChunks * ChunkBytes;

    /// <summary>
    /// Brotli quality 1: about 4 times faster than the payloads' quality 4, and JSON state still shrinks 3-5 times, which is
    /// what a write made every few seconds by every open client needs.
    /// </summary>
    public const int BrotliQuality = 1;

    /// <summary>The column the slot's expiry counts from.</summary>
    public const string SavedAtColumn = "SavedAt";

    /// <summary>The prefix of a blob-held state's <see cref="PayloadColumns"/>.</summary>
    public const string StateColumns = "State";

    private const int MaxChunks = 15;
    private const int ChunkBytes = 48 * 1024;
    private const string ChunkPrefix = "Chunk";
    private const string RawBytesColumn = "Bytes";
    private const string CodecColumn = "Codec";
    private const string BrotliCodec = "br";
    private const string IdentityCodec = "identity";
    private const string JsonType = "application/json";

    /// <summary>How long a slot lives after its last save (the deployment's retention of <see cref="RetentionRules.Autosave"/>).</summary>
    public TimeSpan Expiry => expiry.Policy.DefaultFor(RetentionRules.Autosave);

    /// <summary>The rows that may reference the blobs of slot <paramref name="slot"/>'s folder: its row.</summary>
    public static string RowsReferencingFolder(UserPartition user, string slot) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey eq {UserRowKeys.ForAutosave(slot)}");

    /// <summary>
    /// Saves <paramref name="stateJson"/> as the slot's latest state, replacing the previous one in one row write: created or
    /// replaced unconditionally, under <paramref name="ifMatch"/> when given, or only if absent with <paramref name="createOnly"/>.
    /// </summary>
    /// <exception cref="RequestFailedException">404/412 when <paramref name="ifMatch"/> fails, 409 when <paramref name="createOnly"/> finds the slot.</exception>
    public async Task<AutosaveRecord> PutAsync(UserPartition user, string slot, ReadOnlyMemory<byte> stateJson, ETag? ifMatch, bool createOnly, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stateJson.Length, MaxStateBytes);
        var now = time.GetUtcNow();
        var entity = new TableEntity(user.Key, UserRowKeys.ForAutosave(slot)) { [SavedAtColumn] = now, [RawBytesColumn] = (long)stateJson.Length };

        // Index before row; one entry per user and hour covers every save of that hour (written once per process).
        await expiry.ScheduleRowsAsync(user, RetentionRules.Autosave, now, cancellationToken).ConfigureAwait(false);
        var stored = StoreInline(entity, stateJson.Span);
        PayloadReference? replaced = null;
        if (stored is null)
        {
            var previous = await table.FindAsync(user.Key, entity.RowKey, [PayloadColumns.BlobColumn(StateColumns)], cancellationToken).ConfigureAwait(false);
            replaced = previous is null ? null : PayloadColumns.Read(previous, StateColumns);
            using var content = new MemoryStream(stateJson.ToArray(), writable: false);
            var reference = await payloads.WriteAsync(UserBlobNames.Folder(user.Key, UserBlobNames.Autosave, slot), content, JsonType, cancellationToken).ConfigureAwait(false);
            PayloadColumns.Write(entity, StateColumns, reference);
            stored = (int)reference.StoredBytes;
        }

        var etag = createOnly
            ? await table.InsertAsync(entity, cancellationToken).ConfigureAwait(false)
            : ifMatch is { } condition
                ? await table.ReplaceAsync(entity, condition, cancellationToken).ConfigureAwait(false)
                : await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        if (replaced is not null)
        {
            await DeleteQuietlyAsync(replaced).ConfigureAwait(false);
        }

        return new AutosaveRecord(slot, stateJson, now, stored.Value, etag);
    }

    /// <summary>The slot's latest state, or null when it was never saved, was deleted, or has expired.</summary>
    /// <exception cref="InvalidDataException">The stored state is corrupt.</exception>
    public async Task<AutosaveRecord?> GetAsync(UserPartition user, string slot, CancellationToken cancellationToken)
    {
        var entity = await table.FindAsync(user.Key, UserRowKeys.ForAutosave(slot), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (entity?.GetDateTimeOffset(SavedAtColumn) is not { } savedAt || savedAt + Expiry <= time.GetUtcNow())
        {
            return null;
        }

        if (PayloadColumns.Read(entity, StateColumns) is { } reference)
        {
            await using var content = await payloads.OpenReadAsync(reference, cancellationToken).ConfigureAwait(false);
            using var state = new MemoryStream((int)reference.RawBytes);
            await content.CopyToAsync(state, cancellationToken).ConfigureAwait(false);
            return new AutosaveRecord(slot, state.ToArray(), savedAt, (int)reference.StoredBytes, entity.ETag);
        }

        var (inline, stored) = LoadInline(entity);
        return new AutosaveRecord(slot, inline, savedAt, stored, entity.ETag);
    }

    /// <summary>Deletes a slot (a clean exit needs no recovery), then its blob if it had one; false when it did not exist.</summary>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is stale.</exception>
    public async Task<bool> DeleteAsync(UserPartition user, string slot, ETag? ifMatch, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(user.Key, UserRowKeys.ForAutosave(slot), [PayloadColumns.BlobColumn(StateColumns)], cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            return false;
        }

        var deleted = await table.DeleteRowAsync(user.Key, row.RowKey, ifMatch ?? row.ETag, cancellationToken).ConfigureAwait(false);
        if (deleted && PayloadColumns.Read(row, StateColumns) is { } reference)
        {
            await DeleteQuietlyAsync(reference).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Compresses the state into the entity's chunk columns when it fits; returns the stored size, or null when it does not fit.</summary>
    private static int? StoreInline(TableEntity entity, ReadOnlySpan<byte> state)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(state.Length));
        try
        {
            var compressed = BrotliEncoder.TryCompress(state, buffer, out var written, BrotliQuality, window: 22) && written < state.Length;
            var stored = compressed ? buffer.AsSpan(0, written) : state;
            if (stored.Length > MaxInlineBytes)
            {
                return null;
            }

            entity[CodecColumn] = compressed ? BrotliCodec : IdentityCodec;
            for (var (i, offset) = (0, 0); offset < stored.Length; i++, offset += ChunkBytes)
            {
                entity[Chunk(i)] = stored[offset..Math.Min(stored.Length, offset + ChunkBytes)].ToArray();
            }

            return stored.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The state a row holds inline, inflated and checked against its recorded length; and its stored size.</summary>
    private static (byte[] State, int Stored) LoadInline(TableEntity entity)
    {
        var chunks = Enumerable.Range(0, MaxChunks).Select(i => entity.GetBinary(Chunk(i))).TakeWhile(chunk => chunk is not null).ToList();
        var stored = new byte[chunks.Sum(c => c!.Length)];
        var at = 0;
        foreach (var chunk in chunks)
        {
            chunk!.CopyTo(stored, at);
            at += chunk.Length;
        }

        var rawBytes = entity.GetInt64(RawBytesColumn) ?? -1;
        if (entity.GetString(CodecColumn) == IdentityCodec)
        {
            return stored.Length == rawBytes ? (stored, stored.Length) : throw Corrupt(entity);
        }

        if (rawBytes is < 0 or > MaxStateBytes)
        {
            throw Corrupt(entity);
        }

        var state = new byte[rawBytes];
        return BrotliDecoder.TryDecompress(stored, state, out var written) && written == rawBytes ? (state, stored.Length) : throw Corrupt(entity);
    }

    /// <summary>Deletes a blob no row references any more; one that stays is an orphan for the sweep.</summary>
    private async Task DeleteQuietlyAsync(PayloadReference reference)
    {
        try
        {
            await payloads.DeleteAsync(reference, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            // The orphan sweep deletes it after its grace period.
        }
    }

    private static string Chunk(int index) => ChunkPrefix + index.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    private static InvalidDataException Corrupt(TableEntity entity) => new($"Autosave row {entity.RowKey} does not inflate to its recorded length: the row is corrupt.");
}
