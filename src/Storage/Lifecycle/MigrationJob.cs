using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>That a schema migration ran (or is running) for a user: the seeds' <c>_migrations(namespace, version, applied_at)</c>.</summary>
/// <param name="Kind">The kind (the namespace).</param>
/// <param name="Version">The version the step upgrades to.</param>
/// <param name="Name">What the step does.</param>
/// <param name="Rows">Rows of the kind the job covered, each now at the version (rewritten or already there), for the current version's record; 0 for earlier steps.</param>
/// <param name="AppliedAt">When the job finished the step, or null while it runs.</param>
public sealed record MigrationRecord(string Kind, int Version, string Name, long Rows, DateTimeOffset? AppliedAt);

/// <summary>
/// Upgrades one user's stored rows to their kinds' current schema versions, kind by kind, 100 rows at a time, and
/// records each step in the user's partition (<c>lifecycle|migration|{kind}|{version}</c>). Resumable: the record of
/// a kind's current version keeps the scan's continuation while it runs, so a job interrupted anywhere carries on
/// where it stopped. A row is replaced under the ETag it was read with; a row changed meanwhile is read and
/// upgraded again (a writer may already have written it at the new version).
/// </summary>
public sealed class MigrationJob(TableClient users, SchemaMigrations migrations, TimeProvider time)
{
    private const int PageSize = 100;

    /// <summary>Runs what is pending for the user; cancel it to bound a call's time and call again to carry on.</summary>
    /// <returns>The user's migration records afterwards.</returns>
    public async Task<IReadOnlyList<MigrationRecord>> RunAsync(UserPartition user, CancellationToken cancellationToken)
    {
        foreach (var kind in UserDataKinds.All.Where(k => migrations.VersionOf(k) > 1))
        {
            var target = migrations.VersionOf(kind);
            var progressKey = UserRowKeys.ForMigration(kind.Name, target);
            var progress = await users.FindAsync(user.Key, progressKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (progress?.GetDateTimeOffset("AppliedAt") is not null)
            {
                continue;
            }

            var covered = progress?.GetInt64("Rows") ?? 0;
            var continuation = progress?.GetString("Continuation");
            do
            {
                var page = await users.ReadPageAsync(kind.Filter(user), PageSize, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (var row in page.Entities)
                {
                    await UpgradeAsync(kind, row, cancellationToken).ConfigureAwait(false);
                }

                covered += page.Entities.Count;
                continuation = page.Continuation;
                if (continuation is not null)
                {
                    await SaveAsync(user, kind, target, covered, continuation, null, cancellationToken).ConfigureAwait(false);
                }
            }
            while (continuation is not null);

            var now = time.GetUtcNow();
            foreach (var step in migrations.All.Where(m => m.Kind == kind.Name))
            {
                await SaveAsync(user, kind, step.Version, step.Version == target ? covered : 0, null, now, cancellationToken).ConfigureAwait(false);
            }
        }

        return await RecordsAsync(user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What ran when for the user.</summary>
    public async Task<IReadOnlyList<MigrationRecord>> RecordsAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var rows = await users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Migrations), cancellationToken: cancellationToken).ConfigureAwait(false);
        return rows.Select(r => new MigrationRecord(r.GetString("Kind") ?? string.Empty, r.GetInt32("Version") ?? 0, r.GetString("Name") ?? string.Empty, r.GetInt64("Rows") ?? 0, r.GetDateTimeOffset("AppliedAt"))).ToList();
    }

    /// <summary>Whether every migration has run for the user (one query of their records).</summary>
    public async Task<bool> IsCurrentAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var done = (await RecordsAsync(user, cancellationToken).ConfigureAwait(false)).Where(r => r.AppliedAt is not null).Select(r => (r.Kind, r.Version)).ToHashSet();
        return migrations.All.All(m => done.Contains((m.Kind, m.Version)));
    }

    private async Task UpgradeAsync(UserDataKind kind, TableEntity row, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (!migrations.Upgrade(kind, row))
            {
                return;
            }

            try
            {
                await users.ReplaceAsync(row, row.ETag, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Deleted or rewritten meanwhile: upgrade what is there now, if anything.
                if (await users.FindAsync(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false) is not { } current)
                {
                    return;
                }

                row = current;
            }
        }

        throw new RequestFailedException(503, "A row kept changing while it was being migrated; run the job again.", "ServerBusy", null);
    }

    private async Task SaveAsync(UserPartition user, UserDataKind kind, int version, long rows, string? continuation, DateTimeOffset? appliedAt, CancellationToken cancellationToken)
    {
        var step = migrations.All.First(m => m.Kind == kind.Name && m.Version == version);
        await users.UpsertAsync(
            new TableEntity(user.Key, UserRowKeys.ForMigration(kind.Name, version))
            {
                ["Kind"] = kind.Name,
                ["Version"] = version,
                ["Name"] = step.Name,
                ["Rows"] = rows,
                ["Continuation"] = continuation,
                ["AppliedAt"] = appliedAt,
            },
            TableUpdateMode.Replace,
            cancellationToken).ConfigureAwait(false);
    }
}
