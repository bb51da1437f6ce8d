using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Usage;

/// <summary>One day's usage in one dimension: everything (<c>total</c>), one model, or one event type.</summary>
/// <param name="Day">The UTC day, <c>yyyy-MM-dd</c>.</param>
/// <param name="Dimension"><c>total</c>, <c>model</c> or <c>type</c>.</param>
/// <param name="Value">The model or event type; null for <c>total</c>.</param>
/// <param name="Events">Events counted.</param>
/// <param name="Messages">Messages counted (those that reported usage: a model, tokens or a cost).</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="DurationMs">Durations reported by events, summed.</param>
public sealed record UsageDay(string Day, string Dimension, string? Value, long Events, long Messages, long PromptTokens, long CompletionTokens, double Cost, long DurationMs);

/// <summary>
/// Daily usage rollups (<c>usage|{yyyyMMdd}|total</c>, <c>…|model|{model}</c>, <c>…|type|{type}</c>). They are never
/// written alone: the write that causes usage (an event batch, a message append) adds <see cref="Actions"/> to its own
/// entity group transaction, each rollup row replaced under the ETag it was read with (or added when new), so the
/// rollups count exactly what committed: a transaction that fails counts nothing, a retried one counts once. A range
/// of days is one range query over those rows, O(days), whatever the number of events.
/// </summary>
public sealed class UsageChanges
{
    /// <summary>The dimension of the day's grand total.</summary>
    public const string Total = "total";

    /// <summary>The dimension of per-model rows.</summary>
    public const string Model = "model";

    /// <summary>The dimension of per-event-type rows.</summary>
    public const string Type = "type";

    private readonly Dictionary<string, UsageDay> deltas = new(StringComparer.Ordinal);

    /// <summary>Rows this change touches.</summary>
    public int Count => deltas.Count;

    /// <summary>The UTC days this change touches.</summary>
    public IEnumerable<string> Days => deltas.Values.Select(d => d.Day).Distinct(StringComparer.Ordinal);

    /// <summary>The rows (keys) <paramref name="at"/>'s usage would touch: total, and the model and type when given.</summary>
    public static IEnumerable<string> RowsOf(DateTimeOffset at, string? model, string? eventType)
    {
        var day = UserRowKeys.Day(at);
        yield return UserRowKeys.ForUsage(day, Total, null);
        if (model is not null)
        {
            yield return UserRowKeys.ForUsage(day, Model, model);
        }

        if (eventType is not null)
        {
            yield return UserRowKeys.ForUsage(day, Type, eventType);
        }
    }

    /// <summary>Counts one event or message at <paramref name="at"/> in the day's total, its model's row and (events) its type's row.</summary>
    public void Add(DateTimeOffset at, string? model, string? eventType, bool isMessage, long promptTokens, long completionTokens, double cost, long durationMs)
    {
        var day = UserRowKeys.Day(at);
        var delta = new UsageDay(day, Total, null, isMessage ? 0 : 1, isMessage ? 1 : 0, promptTokens, completionTokens, cost, durationMs);
        Merge(UserRowKeys.ForUsage(day, Total, null), delta);
        if (model is not null)
        {
            Merge(UserRowKeys.ForUsage(day, Model, model), delta with { Dimension = Model, Value = model });
        }

        if (eventType is not null)
        {
            Merge(UserRowKeys.ForUsage(day, Type, eventType), delta with { Dimension = Type, Value = eventType });
        }
    }

    /// <summary>
    /// The transaction actions that add this change to the rows in <paramref name="current"/> (read with their ETags by
    /// <see cref="UsageRollups.ReadDaysAsync"/>): Replace under the row's ETag, or Add for a row not there yet. A
    /// concurrent writer makes the transaction fail (412 or 409): re-read and build again.
    /// </summary>
    public IReadOnlyList<TableTransactionAction> Actions(UserPartition user, IReadOnlyDictionary<string, TableEntity> current) =>
        deltas.Select(d =>
        {
            var sum = current.TryGetValue(d.Key, out var row) ? Sum(UsageRollups.ToDay(row), d.Value) : d.Value;
            var entity = UsageRollups.ToRow(user, d.Key, sum);
            return row is null
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, row.ETag);
        }).ToList();

    private void Merge(string rowKey, UsageDay delta) => deltas[rowKey] = deltas.TryGetValue(rowKey, out var sum) ? Sum(sum, delta) : delta;

    private static UsageDay Sum(UsageDay a, UsageDay b) => a with
    {
        Events = a.Events + b.Events,
        Messages = a.Messages + b.Messages,
        PromptTokens = a.PromptTokens + b.PromptTokens,
        CompletionTokens = a.CompletionTokens + b.CompletionTokens,
        Cost = a.Cost + b.Cost,
        DurationMs = a.DurationMs + b.DurationMs,
    };
}

/// <summary>Reads usage rollup rows.</summary>
public static class UsageRollups
{
    /// <summary>The rollup rows of the days from <paramref name="firstDay"/> to <paramref name="lastDay"/> (<c>yyyyMMdd</c>), by row key, with their ETags: one range query.</summary>
    public static async Task<Dictionary<string, TableEntity>> ReadDaysAsync(TableClient table, UserPartition user, string firstDay, string lastDay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = await table.ReadAllAsync(RangeFilter(user, firstDay, lastDay), cancellationToken: cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => r.RowKey, StringComparer.Ordinal);
    }

    /// <summary>The rollups of the days from <paramref name="from"/> to <paramref name="to"/> (inclusive, UTC days), by day then dimension: one range query (1,000 rows per request).</summary>
    public static async Task<IReadOnlyList<UsageDay>> ReadRangeAsync(TableClient table, UserPartition user, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = await table.ReadAllAsync(RangeFilter(user, Format(from), Format(to)), cancellationToken: cancellationToken).ConfigureAwait(false);
        return rows.Select(ToDay).ToList();
    }

    /// <summary>The filter of a user's usage rows of days before <paramref name="day"/> (<c>yyyyMMdd</c>): what retention purges.</summary>
    public static string Before(UserPartition user, string day) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.Usage + KeyEncoding.Separator} and RowKey lt {KeyEncoding.Compose(UserRowKeys.Usage, day)}");

    /// <summary>When a rollup row's retention starts: the end of its day.</summary>
    public static DateTimeOffset? EndOfDay(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var parts = row.RowKey.Split(KeyEncoding.Separator);
        return parts.Length >= 3 && DateTime.TryParseExact(parts[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var day)
            ? new DateTimeOffset(day, TimeSpan.Zero).AddDays(1)
            : null;
    }

    internal static UsageDay ToDay(TableEntity row)
    {
        var parts = KeyEncoding.Split(row.RowKey);
        var day = parts[1];
        return new UsageDay(
            $"{day[..4]}-{day[4..6]}-{day[6..8]}",
            parts[2],
            parts.Length > 3 ? parts[3] : null,
            row.GetInt64("Events") ?? 0,
            row.GetInt64("Messages") ?? 0,
            row.GetInt64("PromptTokens") ?? 0,
            row.GetInt64("CompletionTokens") ?? 0,
            row.GetDouble("Cost") ?? 0,
            row.GetInt64("DurationMs") ?? 0);
    }

    internal static TableEntity ToRow(UserPartition user, string rowKey, UsageDay sum) => new(user.Key, rowKey)
    {
        ["Events"] = sum.Events,
        ["Messages"] = sum.Messages,
        ["PromptTokens"] = sum.PromptTokens,
        ["CompletionTokens"] = sum.CompletionTokens,
        ["Cost"] = sum.Cost,
        ["DurationMs"] = sum.DurationMs,
    };

    private static string Format(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static string RangeFilter(UserPartition user, string firstDay, string lastDay) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.UsageOf(firstDay)} and RowKey lt {TableFilters.PrefixSuccessor(UserRowKeys.UsageOf(lastDay))}");
}
