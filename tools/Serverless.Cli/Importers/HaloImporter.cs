using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Bundles;

namespace Serverless.Cli.Importers;

/// <summary>
/// Halo's local data directory (seed 003, "Storage and Data Model Reference"): § 1.1 <c>halo.db</c> with § 2.1
/// <c>_migrations(namespace, version, applied_at)</c> and § 2.2 the tables <c>scheduler_jobs</c>,
/// <c>scheduler_run_log</c>, <c>installed_apps</c>, <c>automation_runs</c>, <c>activity_entries</c>; § 4 the memory
/// files (<c>user-memory.md</c> and <c>user-memory/</c>; per space <c>.halo/memory.md</c> and <c>.halo/memory/</c>;
/// per app <c>apps/{appId}/memory.md</c> and <c>memory/</c>). The seed names the tables and what they hold (§ 3) but
/// not their columns: each row is kept whole as a record's data (JSON text columns parsed), keyed by the table's
/// primary key.
/// </summary>
/// <param name="haloDir">Halo's base directory (what <c>getHaloDir()</c> resolves).</param>
public sealed partial class HaloImporter(string haloDir) : IAppImporter
{
    /// <summary>The tables the importer maps, each to records collection <c>halo-{table}</c> (underscores as dashes).</summary>
    public static readonly IReadOnlyList<string> Tables = ["scheduler_jobs", "scheduler_run_log", "installed_apps", "automation_runs", "activity_entries"];

    /// <summary>Columns that hold a row's creation time, first found wins (the seed gives no column names).</summary>
    private static readonly string[] CreatedColumns = ["created_at", "createdAt", "started_at", "timestamp"];

    /// <inheritdoc/>
    public string App => "halo";

    /// <summary>The records collection of a table.</summary>
    public static string CollectionOf(string table) => "halo-" + table.Replace('_', '-');

    /// <inheritdoc/>
    public async Task WriteAsync(BundleBuilder bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (!Directory.Exists(haloDir))
        {
            throw ImportValues.NotUnderstood(haloDir, "no such folder (give Halo's data directory, the one holding halo.db).");
        }

        var database = Path.Combine(haloDir, "halo.db");
        var memories = MemoryFiles().ToList();
        if (!File.Exists(database) && memories.Count == 0)
        {
            throw ImportValues.NotUnderstood(haloDir, "neither halo.db nor memory files (user-memory.md, user-memory/, spaces/*/.halo/memory*) here.");
        }

        if (File.Exists(database))
        {
            await DatabaseAsync(database, bundle, cancellationToken);
        }

        await using var lines = bundle.Kind("memory");
        foreach (var (scope, @namespace, key, file) in memories)
        {
            var bytes = await File.ReadAllBytesAsync(file, cancellationToken);
            string text;
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                bundle.Note("memory", file, "left out: not UTF-8 text (memories are text)");
                continue;
            }

            await lines.AddAsync(MemoryKeys.Line(scope, @namespace, key, JsonValue.Create(text), BundleFormat.Timestamp(File.GetLastWriteTimeUtc(file))), file, cancellationToken);
        }

        await lines.CompleteAsync(cancellationToken);
    }

    private static async Task DatabaseAsync(string path, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        using var db = SqliteSource.Open(path);
        if (!db.HasTable("_migrations"))
        {
            throw ImportValues.NotUnderstood(path, "no _migrations table: not Halo's app database (§ 2.1: the database manager keeps one).");
        }

        var applied = db.Rows("_migrations", "namespace, version", _ => string.Empty).Select(r => $"{r.Text("namespace")} v{r.Text("version")}").ToList();
        bundle.Note("-", $"{path}: _migrations", $"schema seen: {string.Join(", ", applied)} (migration bookkeeping; not imported)");
        await using var records = bundle.Kind("record");
        foreach (var table in Tables)
        {
            if (!db.HasTable(table))
            {
                bundle.Note("record", $"{path}: {table}", "no such table (its module never ran)");
                continue;
            }

            var (_, primaryKey) = db.Columns(table);
            var order = primaryKey.Count > 0 ? string.Join(", ", primaryKey.Select(SqliteSource.Quote)) : "rowid";
            var keyed = primaryKey.Count > 0 ? primaryKey : ["rowid"];
            foreach (var row in RowsWithRowId(db, table, order, primaryKey.Count == 0))
            {
                var key = string.Join("-", keyed.Select(k => row.Text(k) ?? throw ImportValues.NotUnderstood(row.Source, $"primary key column {k} is null.")));
                var data = new JsonObject();
                foreach (var (column, value) in row.Values)
                {
                    if (column == "rowid" && primaryKey.Count == 0)
                    {
                        continue;
                    }

                    data[column] = Value(value, row.Text(column));
                }

                var id = ImportValues.ResourceId(key);
                if (id != key)
                {
                    data["_sourceId"] = key;
                }

                await records.AddAsync(
                    SidePanelImporter.WithoutNulls(new JsonObject
                    {
                        ["collection"] = CollectionOf(table),
                        ["id"] = id,
                        ["data"] = data,
                        ["status"] = row.Text("status") is { } status && StatusPattern().IsMatch(status) ? status : null,
                        ["createdAt"] = CreatedAt(row),
                    }),
                    row.Source,
                    cancellationToken);
            }
        }

        foreach (var other in db.Tables().Except([.. Tables, "_migrations"], StringComparer.Ordinal))
        {
            bundle.Note("-", $"{path}: {other}", "left out: not a table the seed names for the apps' data");
        }

        await records.CompleteAsync(cancellationToken);
    }

    private static IEnumerable<SqliteRow> RowsWithRowId(SqliteSource db, string table, string order, bool withRowId) =>
        withRowId
            ? db.RowsOf($"SELECT rowid, * FROM {SqliteSource.Quote(table)} ORDER BY {order}", table)
            : db.Rows(table, order, v => string.Join("-", v.Values.Take(1)));

    /// <summary>A column as JSON: numbers as numbers, text holding a JSON object or array parsed, other text as text, blobs as base64.</summary>
    private static JsonNode? Value(object? value, string? text) => value switch
    {
        null => null,
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        _ when text is ['{', ..] or ['[', ..] && TryParse(text) is { } parsed => parsed,
        _ => JsonValue.Create(text),
    };

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The row's creation time from a <c>created_at</c> column when it holds one (ISO text or Unix ms), else none.</summary>
    private static string? CreatedAt(SqliteRow row)
    {
        foreach (var column in CreatedColumns)
        {
            if (row.Text(column) is { } text)
            {
                return ImportValues.Timestamp(text, $"{row.Source} {column}");
            }
        }

        return null;
    }

    /// <summary>
    /// § 4 memory files: user <c>{haloDir}/user-memory.md</c> and <c>user-memory/**</c> → scope <c>user</c>; a space's
    /// <c>spaces/{spaceId}/.halo/memory.md</c> and <c>.halo/memory/**</c> → scope <c>space:{spaceId}</c>; an app's
    /// <c>spaces/{spaceId}/apps/{appId}/memory.md</c> and <c>memory/**</c> → scope <c>app:{appId}</c>. Namespace
    /// <c>halo</c> for the <c>memory.md</c> files (key <c>memory.md</c>), <c>halo.files[.{subfolder}…]</c> for a folder's files.
    /// </summary>
    private IEnumerable<(string Scope, string Namespace, string Key, string File)> MemoryFiles()
    {
        foreach (var item in MemoryOf("user", Path.Combine(haloDir, "user-memory.md"), Path.Combine(haloDir, "user-memory")))
        {
            yield return item;
        }

        var spaces = Path.Combine(haloDir, "spaces");
        if (!Directory.Exists(spaces))
        {
            yield break;
        }

        foreach (var space in Directory.EnumerateDirectories(spaces).Order(StringComparer.Ordinal))
        {
            var spaceId = Path.GetFileName(space);
            foreach (var item in MemoryOf("space:" + MemoryKeys.Segment(spaceId), Path.Combine(space, ".halo", "memory.md"), Path.Combine(space, ".halo", "memory")))
            {
                yield return item;
            }

            var apps = Path.Combine(space, "apps");
            if (Directory.Exists(apps))
            {
                foreach (var app in Directory.EnumerateDirectories(apps).Order(StringComparer.Ordinal))
                {
                    foreach (var item in MemoryOf("app:" + MemoryKeys.Segment(Path.GetFileName(app)), Path.Combine(app, "memory.md"), Path.Combine(app, "memory")))
                    {
                        yield return item;
                    }
                }
            }
        }
    }

    private static IEnumerable<(string, string, string, string)> MemoryOf(string scope, string file, string folder)
    {
        if (File.Exists(file))
        {
            yield return (scope, "halo", "memory.md", file);
        }

        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var entry in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(folder, entry).Split(Path.DirectorySeparatorChar);
            if (relative.Length > 7)
            {
                throw ImportValues.NotUnderstood(entry, "nested deeper than the 8 namespace segments memories allow.");
            }

            var @namespace = string.Concat(relative[..^1].Select(segment => "." + MemoryKeys.Segment(segment)).Prepend("halo.files"));
            yield return (scope, @namespace, MemoryKeys.Key(relative[^1]), entry);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,64}$")]
    private static partial Regex StatusPattern();
}
