using Azure.Data.Tables;
using Azure;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;

namespace Serverless.Storage.Users;

/// <summary>
/// Settings rows (<c>setting|{namespace}|{key}</c>) in the user table. Callers validate sizes; this
/// class maps records to rows and carries ETags through. Rows carry their schema version
/// (<see cref="SchemaMigrations"/>): older rows are upgraded as they are read.
/// </summary>
public sealed class SettingsStore(TableClient table)
{
    private const string ValueProperty = "Value";
    private const string UpdatedAtProperty = "UpdatedAt";

    /// <summary>Reads one setting, or null.</summary>
    public async Task<SettingRecord?> GetAsync(UserPartition user, string settingNamespace, string key, CancellationToken cancellationToken)
    {
        var entity = await table.FindAsync(user.Key, UserRowKeys.ForSetting(settingNamespace, key), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ToRecord(entity);
    }

    /// <summary>
    /// Writes a setting. With no <paramref name="ifMatch"/> it is created or replaced; with
    /// <see cref="ETag.All"/> it must exist; with an ETag it must still have that version;
    /// <paramref name="createOnly"/> requires that it does not exist.
    /// </summary>
    /// <returns>The stored setting, and whether this write created it.</returns>
    /// <exception cref="RequestFailedException">404, 409 or 412 when a condition fails.</exception>
    public async Task<(SettingRecord Record, bool Created)> PutAsync(
        UserPartition user, string settingNamespace, string key, string valueJson, ETag? ifMatch, bool createOnly, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var entity = new TableEntity(user.Key, UserRowKeys.ForSetting(settingNamespace, key))
        {
            [ValueProperty] = valueJson,
            [UpdatedAtProperty] = now,
        };
        SchemaMigrations.Current.Stamp(UserDataKinds.Setting, entity);

        SettingRecord Stored(ETag etag) => new(settingNamespace, key, valueJson, now, etag);
        if (createOnly)
        {
            return (Stored(await table.InsertAsync(entity, cancellationToken).ConfigureAwait(false)), true);
        }

        if (ifMatch is { } condition)
        {
            return (Stored(await table.ReplaceAsync(entity, condition, cancellationToken).ConfigureAwait(false)), false);
        }

        // An upsert would not tell a create from a replace, which the API answers differently (201 / 200). Replace first:
        // settings are mostly rewritten, so that is one round trip; a new one costs a second (the insert).
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (Stored(await table.ReplaceAsync(entity, ETag.All, cancellationToken).ConfigureAwait(false)), false);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }

            try
            {
                return (Stored(await table.InsertAsync(entity, cancellationToken).ConfigureAwait(false)), true);
            }
            catch (RequestFailedException e) when (e.Status == 409 && attempt == 0)
            {
                // Created by a concurrent write in between: replace it, as the last writer does.
            }
        }
    }

    /// <summary>Writes a setting as an import carries it: with its own update time (created or replaced).</summary>
    public async Task ImportAsync(UserPartition user, SettingRecord setting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var entity = new TableEntity(user.Key, UserRowKeys.ForSetting(setting.Namespace, setting.Key))
        {
            [ValueProperty] = setting.ValueJson,
            [UpdatedAtProperty] = setting.UpdatedAt,
        };
        SchemaMigrations.Current.Stamp(UserDataKinds.Setting, entity);
        await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every setting of the user, a page at a time, in namespace and key order (exports).</summary>
    public async IAsyncEnumerable<SettingRecord> ScanAsync(UserPartition user, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        do
        {
            var page = await table.ReadPageAsync(UserDataKinds.Setting.Filter(user), 1000, after, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var entity in page.Entities)
            {
                yield return ToRecord(entity);
            }

            after = page.Continuation;
        }
        while (after is not null);
    }

    /// <summary>Deletes a setting; returns false when it did not exist.</summary>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is stale.</exception>
    public Task<bool> DeleteAsync(UserPartition user, string settingNamespace, string key, ETag? ifMatch, CancellationToken cancellationToken) =>
        table.DeleteRowAsync(user.Key, UserRowKeys.ForSetting(settingNamespace, key), ifMatch ?? ETag.All, cancellationToken);

    /// <summary>One page of a namespace's settings in key order.</summary>
    public async Task<(IReadOnlyList<SettingRecord> Items, string? Next)> ListAsync(
        UserPartition user, string settingNamespace, int limit, string? after, CancellationToken cancellationToken)
    {
        var filter = TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.SettingsOf(settingNamespace));
        var page = await table.ReadPageAsync(filter, limit, after, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ToRecord).ToList(), page.Continuation);
    }

    /// <summary>
    /// One page of the user's setting namespaces with the number of settings in each, in row-key order: the order of
    /// the encoded names each followed by the separator <c>|</c>, so <c>c-2</c> comes before <c>c</c>. Reads only row
    /// keys: every row of the namespaces it returns, plus the first row of the next.
    /// </summary>
    /// <param name="user">The user.</param>
    /// <param name="limit">Namespaces per page.</param>
    /// <param name="afterNamespace">The last namespace of the previous page, or null for the first page.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The namespaces and counts, and the namespace to continue after (null at the end).</returns>
    public async Task<(IReadOnlyList<(string Namespace, long Count)> Items, string? NextAfter)> ListNamespacesAsync(
        UserPartition user, int limit, string? afterNamespace, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var filter = TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Settings, afterNamespace is null ? null : UserRowKeys.SettingsAfterNamespace(afterNamespace));
        var items = new List<(string Namespace, long Count)>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: KeysOnly, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var settingNamespace = KeyEncoding.Split(row.RowKey)[1];
            if (items.Count > 0 && items[^1].Namespace == settingNamespace)
            {
                items[^1] = (settingNamespace, items[^1].Count + 1);
                continue;
            }

            if (items.Count == limit)
            {
                // The first row of one namespace more: the page is complete and another follows.
                return (items, items[^1].Namespace);
            }

            items.Add((settingNamespace, 1));
        }

        return (items, null);
    }

    private static readonly string[] KeysOnly = ["RowKey"];

    private static SettingRecord ToRecord(TableEntity entity)
    {
        SchemaMigrations.Current.Upgrade(UserDataKinds.Setting, entity);
        var segments = KeyEncoding.Split(entity.RowKey);
        return new SettingRecord(
            segments[1],
            segments[2],
            entity.GetString(ValueProperty) ?? "null",
            entity.GetDateTimeOffset(UpdatedAtProperty) ?? DateTimeOffset.MinValue,
            entity.ETag);
    }
}
