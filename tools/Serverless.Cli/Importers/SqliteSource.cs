using System.Text;
using Microsoft.Data.Sqlite;

namespace Serverless.Cli.Importers;

/// <summary>One row of a SQLite table, by column name.</summary>
/// <param name="Source">Where it is (file, table and key), for messages.</param>
/// <param name="Values">Its columns (<see cref="DBNull"/> as null).</param>
public sealed record SqliteRow(string Source, IReadOnlyDictionary<string, object?> Values)
{
    /// <summary>A column as text (numbers as invariant text), or null.</summary>
    public string? Text(string column) => Values.TryGetValue(column, out var value) ? value switch
    {
        null => null,
        string s => s,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    } : null;

    /// <summary>A required text column.</summary>
    public string Required(string column) => Text(column) ?? throw ImportValues.NotUnderstood(Source, $"column {column} is null.");

    /// <summary>An integer column, or null.</summary>
    public long? Whole(string column) => Values.TryGetValue(column, out var value) ? value switch
    {
        null => null,
        long l => l,
        double d when d == Math.Floor(d) => (long)d,
        string s when long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw ImportValues.NotUnderstood(Source, $"column {column} holds '{value}', not an integer."),
    } : null;

    /// <summary>A real column, or null.</summary>
    public double? Real(string column) => Values.TryGetValue(column, out var value) ? value switch
    {
        null => null,
        long l => l,
        double d => d,
        string s when double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw ImportValues.NotUnderstood(Source, $"column {column} holds '{value}', not a number."),
    } : null;
}

/// <summary>
/// A SQLite file opened read-only (the apps' own file is never changed), with what the importers ask of it: is it
/// SQLite at all, which tables and columns it has, and its rows in a given order.
/// </summary>
public sealed class SqliteSource : IDisposable
{
    private static readonly byte[] Header = Encoding.ASCII.GetBytes("SQLite format 3\0");
    private readonly SqliteConnection connection;

    private SqliteSource(string path, SqliteConnection connection)
    {
        Path = path;
        this.connection = connection;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Opens <paramref name="path"/> read-only; a file that is not SQLite is a failure naming it.</summary>
    public static SqliteSource Open(string path)
    {
        if (!File.Exists(path))
        {
            throw ImportValues.NotUnderstood(path, "no such file.");
        }

        var start = new byte[Header.Length];
        using (var file = File.OpenRead(path))
        {
            if (file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) < start.Length || !start.AsSpan().SequenceEqual(Header))
            {
                throw ImportValues.NotUnderstood(path, "not a SQLite database (no 'SQLite format 3' header).");
            }
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return new SqliteSource(path, connection);
    }

    /// <summary>Whether the database has table <paramref name="table"/>.</summary>
    public bool HasTable(string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return (long)command.ExecuteScalar()! > 0;
    }

    /// <summary>The tables of the database (without SQLite's own).</summary>
    public IReadOnlyList<string> Tables()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        using var reader = command.ExecuteReader();
        var tables = new List<string>();
        while (reader.Read())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    /// <summary>The columns of <paramref name="table"/> in order, and which make its primary key (in key order).</summary>
    public (IReadOnlyList<string> Columns, IReadOnlyList<string> PrimaryKey) Columns(string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, pk FROM pragma_table_info($table) ORDER BY cid";
        command.Parameters.AddWithValue("$table", table);
        using var reader = command.ExecuteReader();
        var columns = new List<string>();
        var key = new List<(long Order, string Name)>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
            if (reader.GetInt64(1) > 0)
            {
                key.Add((reader.GetInt64(1), reader.GetString(0)));
            }
        }

        return (columns, key.OrderBy(k => k.Order).Select(k => k.Name).ToList());
    }

    /// <summary>
    /// Fails unless <paramref name="table"/> has every column of <paramref name="required"/> and none beyond
    /// <paramref name="required"/> and <paramref name="optional"/>: a column the importer does not know would be data it
    /// silently drops.
    /// </summary>
    public IReadOnlySet<string> CheckColumns(string table, IReadOnlyCollection<string> required, IReadOnlyCollection<string> optional)
    {
        var (columns, _) = Columns(table);
        var missing = required.Where(c => !columns.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        var unknown = columns.Where(c => !required.Contains(c, StringComparer.OrdinalIgnoreCase) && !optional.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0 || unknown.Count > 0)
        {
            throw ImportValues.NotUnderstood(
                $"{Path}: table {table}",
                (missing.Count > 0 ? $"missing column(s) {string.Join(", ", missing)}" : string.Empty)
                + (missing.Count > 0 && unknown.Count > 0 ? "; " : string.Empty)
                + (unknown.Count > 0 ? $"column(s) the importer does not know: {string.Join(", ", unknown)} (it would drop their data)" : string.Empty) + ".");
        }

        return columns.ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>A single value (<c>SELECT …</c>).</summary>
    public object? Scalar(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>The rows of <paramref name="table"/> in <paramref name="orderBy"/> order, read one at a time; <paramref name="key"/> names a row in messages.</summary>
    public IEnumerable<SqliteRow> Rows(string table, string orderBy, Func<IReadOnlyDictionary<string, object?>, string> key)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {Quote(table)} ORDER BY {orderBy}";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                values[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            yield return new SqliteRow($"{Path}: {table} {key(values)}", values);
        }
    }

    /// <summary>The rows of a query over <paramref name="table"/> (its <c>rowid</c> names a row in messages).</summary>
    public IEnumerable<SqliteRow> RowsOf(string sql, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                values[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            yield return new SqliteRow($"{Path}: {table} rowid={values.GetValueOrDefault("rowid")}", values);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => connection.Dispose();

    /// <summary>A SQL identifier in double quotes.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
