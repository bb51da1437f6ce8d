using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Integrations;

/// <summary>
/// Integration rows (<c>integration|{provider}</c>): the configuration document in one column, each secret in a column
/// of its own (<c>Secret00</c>… in name order: name, cipher, last four, time set), so no property nears its 64 KiB
/// limit. Ciphers are written and read as opaque text: encryption is the caller's business.
/// </summary>
public sealed class IntegrationStore(TableClient table)
{
    /// <summary>The most secrets one integration holds.</summary>
    public const int MaxSecrets = 20;

    private const string ConfigColumn = "Config";
    private const string SecretPrefix = "Secret";
    private const string CreatedAtColumn = "CreatedAt";
    private const string UpdatedAtColumn = "UpdatedAt";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads one integration, or null.</summary>
    public async Task<IntegrationRecord?> GetAsync(UserPartition user, string provider, CancellationToken cancellationToken)
    {
        var entity = await table.FindAsync(user.Key, UserRowKeys.ForIntegration(provider), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ToRecord(entity);
    }

    /// <summary>One page of the user's integrations in provider order.</summary>
    public async Task<(IReadOnlyList<IntegrationRecord> Items, string? Next)> ListAsync(UserPartition user, int limit, string? continuation, CancellationToken cancellationToken)
    {
        var page = await table.ReadPageAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Integrations), limit, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ToRecord).ToList(), page.Continuation);
    }

    /// <summary>
    /// Writes an integration: created or replaced without <paramref name="ifMatch"/>, replaced under it when given
    /// (<see cref="ETag.All"/>: if it exists), created only with <paramref name="createOnly"/>.
    /// </summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxSecrets"/> secrets.</exception>
    /// <exception cref="RequestFailedException">404/412 when <paramref name="ifMatch"/> fails, 409 when <paramref name="createOnly"/> finds it.</exception>
    public async Task<IntegrationRecord> PutAsync(UserPartition user, IntegrationRecord record, ETag? ifMatch, bool createOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Secrets.Count > MaxSecrets)
        {
            throw new ArgumentException($"An integration holds at most {MaxSecrets} secrets.", nameof(record));
        }

        var entity = new TableEntity(user.Key, UserRowKeys.ForIntegration(record.Provider))
        {
            [ConfigColumn] = record.ConfigJson,
            [CreatedAtColumn] = record.CreatedAt,
            [UpdatedAtColumn] = record.UpdatedAt,
        };
        var index = 0;
        foreach (var (name, secret) in record.Secrets.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            entity[SecretColumn(index++)] = JsonSerializer.Serialize(new SecretColumnValue(name, secret.Cipher, secret.Last4, secret.SetAt), Json);
        }

        var etag = createOnly
            ? await table.InsertAsync(entity, cancellationToken).ConfigureAwait(false)
            : ifMatch is { } condition
                ? await table.ReplaceAsync(entity, condition, cancellationToken).ConfigureAwait(false)
                : await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return record with { ETag = etag };
    }

    /// <summary>Deletes an integration; false when it did not exist.</summary>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is stale.</exception>
    public Task<bool> DeleteAsync(UserPartition user, string provider, ETag? ifMatch, CancellationToken cancellationToken) =>
        table.DeleteRowAsync(user.Key, UserRowKeys.ForIntegration(provider), ifMatch ?? ETag.All, cancellationToken);

    private static IntegrationRecord ToRecord(TableEntity entity)
    {
        var secrets = new Dictionary<string, StoredSecret>(StringComparer.Ordinal);
        for (var i = 0; i < MaxSecrets && entity.GetString(SecretColumn(i)) is { } json; i++)
        {
            var value = JsonSerializer.Deserialize<SecretColumnValue>(json, Json) ?? throw new InvalidDataException($"Integration row {entity.RowKey} has an empty secret column.");
            secrets[value.Name] = new StoredSecret(value.Cipher, value.Last4, value.SetAt);
        }

        return new IntegrationRecord(
            KeyEncoding.Split(entity.RowKey)[1],
            entity.GetString(ConfigColumn) ?? "{}",
            secrets,
            entity.GetDateTimeOffset(CreatedAtColumn) ?? DateTimeOffset.MinValue,
            entity.GetDateTimeOffset(UpdatedAtColumn) ?? DateTimeOffset.MinValue,
            entity.ETag);
    }

    private static string SecretColumn(int index) => SecretPrefix + index.ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>One secret column's JSON.</summary>
    private sealed record SecretColumnValue(string Name, string Cipher, string? Last4, DateTimeOffset SetAt);
}
