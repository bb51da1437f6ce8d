using System.Text;
using Azure.Data.Tables;

namespace Serverless.Storage.Tables;

/// <summary>
/// Filters our stores need, built only with <see cref="TableClient.CreateQueryFilter(FormattableString)"/>,
/// which turns every interpolated value into a typed, escaped OData literal: no value is ever spliced
/// into a filter as text, so <c>x' or PartitionKey ne '</c> stays one string literal.
/// </summary>
public static class TableFilters
{
    /// <summary>
    /// Rows of one partition whose RowKey starts with <paramref name="prefix"/>: a range
    /// <c>RowKey ge prefix and RowKey lt successor(prefix)</c>, which the service serves as a scan.
    /// </summary>
    /// <param name="partitionKey">The partition.</param>
    /// <param name="prefix">The RowKey prefix.</param>
    /// <param name="from">Where to start within the prefix's rows (inclusive), when later than the prefix itself.</param>
    public static string RowKeyStartsWith(string partitionKey, string prefix, string? from = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var lower = from is not null && string.CompareOrdinal(from, prefix) > 0 ? from : prefix;
        return PrefixSuccessor(prefix) is { } upper
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {lower} and RowKey lt {upper}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {lower}");
    }

    /// <summary>
    /// Rows of every partition whose RowKey starts with <paramref name="prefix"/>: a scan of the whole table that
    /// returns only those rows (for one-off jobs across users, never for a request).
    /// </summary>
    public static string AnyPartitionRowKeyStartsWith(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        return PrefixSuccessor(prefix) is { } upper
            ? TableClient.CreateQueryFilter($"RowKey ge {prefix} and RowKey lt {upper}")
            : TableClient.CreateQueryFilter($"RowKey ge {prefix}");
    }

    /// <summary>Joins filters (each already built with <see cref="TableClient.CreateQueryFilter(FormattableString)"/>) with <c>and</c>, each in parentheses.</summary>
    public static string And(params string[] filters) => string.Join(" and ", filters.Select(f => $"({f})"));

    /// <summary>The smallest string greater than every string that starts with <paramref name="prefix"/> (ordinal), or null if none.</summary>
    internal static string? PrefixSuccessor(string prefix)
    {
        var chars = new StringBuilder(prefix);
        while (chars.Length > 0)
        {
            var last = chars[^1];
            if (last < char.MaxValue)
            {
                chars[^1] = (char)(last + 1);
                return chars.ToString();
            }

            chars.Length--;
        }

        return null;
    }
}
