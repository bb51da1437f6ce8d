using System.Buffers;
using System.IO.Compression;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Autosave;

/// <summary>
/// Crash-recovery autosave slots (<c>autosave|{slot}</c>): one row per slot holding its latest state inline, Brotli
/// compressed and split across binary properties of 64 KiB, so a save is one table write and never touches a blob:
/// a state of up to <see cref="MaxStateBytes"/> always fits (<see cref="MaxStoredBytes"/>). Slots expire
/// <see cref="RetentionRules.Autosave"/>'s retention after their last save: reads treat an older slot as gone at once,
/// and the retention sweep deletes it, from an expiry entry written at most once per user and hour.
/// </summary>
public sealed class AutosaveStore(TableClient table, ExpiryIndex expiry, TimeProvider time)
{
    /// <summary>The largest state, in bytes of UTF-8 JSON.</summary>
    public const int MaxStateBytes = 1024 * 1024;

    /// <summary>
    /// The most compressed bytes a slot row holds: 15 binary properties of 64 KiB, which with keys and the other columns
    /// stays under the service's 1 MiB per entity. JSON of <see cref="MaxStateBytes"/> compresses below it even when it
    /// is random printable text (about 6.6 bits of 8 per character; a test holds the worst case to it).
    /// </summary>
    public const int MaxStoredBytes = MaxChunks * EntityLimits.MaxBinaryBytes;

    /// <summary>
    /// Brotli quality 1: about 4 times faster than the payloads' quality 4 at a ratio that still fits every state inline,
    /// which is what a write made every few seconds by every open client needs.
    /// </summary>
    public const int BrotliQuality = 1;

    /// <summary>The column the slot's expiry counts from.</summary>
    public const string SavedAtColumn = "SavedAt";

    private const int MaxChunks = 15;
    private const string ChunkPrefix = "State";
    private const string RawBytesColumn = "Bytes";
    private const string CodecColumn = "Codec";
    private const string BrotliCodec = "br";
    private const string IdentityCodec = "identity";

    /// <summary>How long a slot lives after its last save (the deployment's retention of <see cref="RetentionRules.Autosave"/>).</summary>
    public TimeSpan Expiry => expiry.Policy.DefaultFor(RetentionRules.Autosave);

    /// <summary>
    /// Saves <paramref name="stateJson"/> as the slot's latest state, replacing the previous one in one write: created or
    /// replaced unconditionally, under <paramref name="ifMatch"/> when given, or only if absent with <paramref name="createOnly"/>.
    /// </summary>
    /// <exception cref="AutosaveTooLargeException">The state does not fit a row.</exception>
    /// <exception cref="RequestFailedException">404/412 when <paramref name="ifMatch"/> fails, 409 when <paramref name="createOnly"/> finds the slot.</exception>
    public async Task<AutosaveRecord> PutAsync(UserPartition user, string slot, ReadOnlyMemory<byte> stateJson, ETag? ifMatch, bool createOnly, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stateJson.Length, MaxStateBytes);
        var now = time.GetUtcNow();
        var entity = new TableEntity(user.Key, UserRowKeys.ForAutosave(slot)) { [SavedAtColumn] = now, [RawBytesColumn] = (long)stateJson.Length };
        var stored = Store(entity, stateJson.Span);

        // Index before row; one entry per user and hour covers every save of that hour (written once per process).
        await expiry.ScheduleRowsAsync(user, RetentionRules.Autosave, now, cancellationToken).ConfigureAwait(false);
        var etag = createOnly
            ? await table.InsertAsync(entity, cancellationToken).ConfigureAwait(false)
            : ifMatch is { } condition
                ? await table.ReplaceAsync(entity, condition, cancellationToken).ConfigureAwait(false)
                : await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return new AutosaveRecord(slot, stateJson, now, stored, etag);
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

        var (state, stored) = Load(entity);
        return new AutosaveRecord(slot, state, savedAt, stored, entity.ETag);
    }

    /// <summary>Deletes a slot (a clean shutdown needs no recovery); false when it did not exist.</summary>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is stale.</exception>
    public Task<bool> DeleteAsync(UserPartition user, string slot, ETag? ifMatch, CancellationToken cancellationToken) =>
        table.DeleteRowAsync(user.Key, UserRowKeys.ForAutosave(slot), ifMatch ?? ETag.All, cancellationToken);

    /// <summary>Compresses the state into the entity's chunk columns; returns the stored size.</summary>
    private static int Store(TableEntity entity, ReadOnlySpan<byte> state)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(state.Length));
        try
        {
            var compressed = BrotliEncoder.TryCompress(state, buffer, out var written, BrotliQuality, window: 22) && written < state.Length;
            var stored = compressed ? buffer.AsSpan(0, written) : state;
            if (stored.Length > MaxStoredBytes)
            {
                throw new AutosaveTooLargeException(state.Length, stored.Length);
            }

            entity[CodecColumn] = compressed ? BrotliCodec : IdentityCodec;
            for (var (i, offset) = (0, 0); offset < stored.Length; i++, offset += EntityLimits.MaxBinaryBytes)
            {
                entity[ChunkPrefix + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)] = stored[offset..Math.Min(stored.Length, offset + EntityLimits.MaxBinaryBytes)].ToArray();
            }

            return stored.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The state a row holds, inflated and checked against its recorded length; and its stored size.</summary>
    private static (byte[] State, int Stored) Load(TableEntity entity)
    {
        var chunks = Enumerable.Range(0, MaxChunks)
            .Select(i => entity.GetBinary(ChunkPrefix + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)))
            .TakeWhile(chunk => chunk is not null)
            .ToList();
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

    private static InvalidDataException Corrupt(TableEntity entity) => new($"Autosave row {entity.RowKey} does not inflate to its recorded length: the row is corrupt.");
}
