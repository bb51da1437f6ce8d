using Azure.Data.Tables;

namespace Serverless.Storage.Lifecycle;

/// <summary>One named step that upgrades a row of one kind from <c>Version - 1</c> to <paramref name="Version"/>.</summary>
/// <param name="Kind">The <see cref="UserDataKind.Name"/> of the rows it upgrades.</param>
/// <param name="Version">The version it upgrades to (2 for the first step of a kind).</param>
/// <param name="Name">What it does, as recorded when it runs.</param>
/// <param name="Upgrade">Changes the row in place (a pure function of the row: it runs on reads too).</param>
public sealed record SchemaMigration(string Kind, int Version, string Name, Action<TableEntity> Upgrade);

/// <summary>
/// Schema versions of stored rows and the migrations between them. Each row carries its kind's schema version in
/// <see cref="VersionColumn"/>; a row without one is version 1, so data written before a kind had migrations needs
/// no rewrite. A row older than its kind's current version is upgraded in memory whenever it is read through its
/// kind's mapping (<see cref="Upgrade"/>), and in storage by the per-user <see cref="MigrationJob"/>; writers stamp
/// new rows with the current version (<see cref="Stamp"/>).
/// </summary>
public sealed class SchemaMigrations
{
    /// <summary>The column holding a row's schema version.</summary>
    public const string VersionColumn = "SchemaVersion";

    private readonly Dictionary<string, List<SchemaMigration>> byKind;

    /// <summary>A set of migrations; each kind's versions must run 2, 3, … without gaps.</summary>
    /// <exception cref="ArgumentException">A kind is not registered, or its versions have gaps or repeats.</exception>
    public SchemaMigrations(IEnumerable<SchemaMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        byKind = migrations.GroupBy(m => m.Kind, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderBy(m => m.Version).ToList(), StringComparer.Ordinal);
        foreach (var (kind, steps) in byKind)
        {
            if (UserDataKinds.Named(kind) is null || steps.Select((m, i) => m.Version != i + 2).Any(wrong => wrong))
            {
                throw new ArgumentException($"Migrations of '{kind}' must be of a registered kind and number 2, 3, … without gaps.", nameof(migrations));
            }
        }
    }

    /// <summary>The migrations the stores and the job use.</summary>
    public static SchemaMigrations Current { get; } = new(
    [
        // Setting rows written before UpdatedAt was a column of its own (the store used to fall back to the service's Timestamp).
        new(UserDataKinds.Setting.Name, 2, "UpdatedAt from the row's timestamp", row => row["UpdatedAt"] = row.GetDateTimeOffset("UpdatedAt") ?? row.Timestamp ?? DateTimeOffset.UnixEpoch),
    ]);

    /// <summary>Every migration, kind by kind in version order.</summary>
    public IEnumerable<SchemaMigration> All => byKind.Values.SelectMany(steps => steps);

    /// <summary>The current version of a kind's rows (1 when it has no migrations).</summary>
    public int VersionOf(UserDataKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return byKind.TryGetValue(kind.Name, out var steps) ? steps[^1].Version : 1;
    }

    /// <summary>The schema version a row carries.</summary>
    public static int VersionOf(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.GetInt32(VersionColumn) ?? 1;
    }

    /// <summary>Brings a row of <paramref name="kind"/> to the current version in memory; false when it already was.</summary>
    public bool Upgrade(UserDataKind kind, TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var from = VersionOf(row);
        if (!byKind.TryGetValue(kind.Name, out var steps) || from >= steps[^1].Version)
        {
            return false;
        }

        foreach (var step in steps.Where(s => s.Version > from))
        {
            step.Upgrade(row);
        }

        row[VersionColumn] = steps[^1].Version;
        return true;
    }

    /// <summary>Marks a row being written with its kind's current version (nothing for a kind still at version 1).</summary>
    public void Stamp(UserDataKind kind, TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (VersionOf(kind) is > 1 and var version)
        {
            row[VersionColumn] = version;
        }
    }
}
