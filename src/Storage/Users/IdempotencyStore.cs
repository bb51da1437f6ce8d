using Azure.Data.Tables;
using Azure;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;

namespace Serverless.Storage.Users;

/// <summary>
/// Idempotency records (<c>idem|{operation}|{key}</c>) in the user's partition. A record is written
/// as one more operation of the transaction that performs the guarded write, so the write and its
/// record commit together or not at all; a concurrent request with the same key loses with 409.
/// </summary>
public sealed class IdempotencyStore(TableClient table, TimeProvider time, ExpiryIndex expiry)
{
    /// <summary>How long a key is remembered (Stripe and the IETF draft both use at least 24 hours).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>The column that holds when a key was first used, which its retention counts from.</summary>
    public const string CreatedAtColumn = "CreatedAt";

    /// <summary>The longest key a client may send.</summary>
    public const int MaxKeyLength = 255;

    /// <summary>The largest response body stored for replay, in characters (one table string property).</summary>
    public const int MaxResponseChars = EntityLimits.MaxStringChars;

    /// <summary>
    /// Finds the live record of a key. An expired record comes back as the ETag in <c>Expired</c>
    /// so that the new write can replace it under its ETag. When there is no live record the caller is about to
    /// write one, so this first makes sure the expiry index will look at the user's records of this hour once
    /// they expire (<see cref="RetentionRules.Idempotency"/>; one index write per user and hour, design.md §3: index before row).
    /// </summary>
    public async Task<(IdempotencyRecord? Live, ETag? Expired)> FindAsync(UserPartition user, string operation, string key, CancellationToken cancellationToken)
    {
        var entity = await table.FindAsync(user.Key, UserRowKeys.ForIdempotencyKey(operation, key), cancellationToken: cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (entity is null)
        {
            await expiry.ScheduleRowsAsync(user, RetentionRules.Idempotency, now, cancellationToken).ConfigureAwait(false);
            return (null, null);
        }

        var record = new IdempotencyRecord(
            operation,
            key,
            entity.GetString("RequestHash") ?? string.Empty,
            entity.GetInt32("Status") ?? 200,
            entity.GetString("Response") ?? "null",
            entity.GetString("Location"),
            entity.GetDateTimeOffset(CreatedAtColumn) ?? DateTimeOffset.MinValue,
            entity.ETag);
        if (record.CreatedAt + Lifetime > now)
        {
            return (record, null);
        }

        await expiry.ScheduleRowsAsync(user, RetentionRules.Idempotency, now, cancellationToken).ConfigureAwait(false);
        return (null, entity.ETag);
    }

    /// <summary>The transaction operation that stores <paramref name="record"/>, replacing an expired one when given.</summary>
    /// <exception cref="ArgumentException">The response is too large to store.</exception>
    public static TableTransactionAction RecordAction(UserPartition user, IdempotencyRecord record, ETag? replacingExpired)
    {
        if (record.ResponseJson.Length > MaxResponseChars)
        {
            throw new ArgumentException($"An idempotent response is stored in at most {MaxResponseChars} characters.", nameof(record));
        }

        var entity = new TableEntity(user.Key, UserRowKeys.ForIdempotencyKey(record.Operation, record.Key))
        {
            ["RequestHash"] = record.RequestHash,
            ["Status"] = record.Status,
            ["Response"] = record.ResponseJson,
            ["Location"] = record.Location,
            [CreatedAtColumn] = record.CreatedAt,
        };
        return replacingExpired is { } etag
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, etag)
            : new TableTransactionAction(TableTransactionActionType.Add, entity);
    }
}
