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
    /// Writes a setting. With no <paramref name="ifMatch"/> it is created or overwritten; with
    /// <see cref="ETag.All"/> it must exist; with an ETag it must still have that version;
    /// <paramref name="createOnly"/> requires that it does not exist.
    /// </summary>
    /// <exception cref="RequestFailedException">404, 409 or 412 when a condition fails.</exception>
    public async Task<SettingRecord> PutAsync(UserPartition user, string settingNamespace, string key, string valueJson, ETag? ifMatch, bool createOnly, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var entity = new TableEntity(user.Key, UserRowKeys.ForSetting(settingNamespace, key))
        {
            [ValueProperty] = valueJson,
            [UpdatedAtProperty] = now,
        };
        SchemaMigrations.Current.Stamp(UserDataKinds.Setting, entity);

        var etag = createOnly
            ? await table.InsertAsync(entity, cancellationToken).ConfigureAwait(false)
            : ifMatch is { } condition
                ? await table.ReplaceAsync(entity, condition, cancellationToken).ConfigureAwait(false)
                : await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return new SettingRecord(settingNamespace, key, valueJson, now, etag);
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
