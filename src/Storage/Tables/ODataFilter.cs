using System.Globalization;
using System.Text;

namespace Serverless.Storage.Tables;

/// <summary>
/// Builds OData <c>$filter</c> expressions in which every value is a typed, escaped literal.
/// Callers write the expression's shape and pass values as interpolation holes:
/// <c>ODataFilter.Create($"PartitionKey eq {pk} and Count gt {n}")</c>. No string is ever spliced
/// into a filter as text, so a value like <c>x' or PartitionKey ne '</c> stays one string literal.
/// </summary>
public static class ODataFilter
{
    /// <summary>Formats <paramref name="filter"/>, turning each hole into a literal.</summary>
    /// <exception cref="ArgumentException">A hole's value has a type that has no OData literal.</exception>
    public static string Create(FormattableString filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var literals = filter.GetArguments().Select(Literal).ToArray<object?>();
        return string.Format(CultureInfo.InvariantCulture, filter.Format, literals);
    }

    /// <summary><c>PartitionKey eq '…'</c>.</summary>
    public static string PartitionKeyEquals(string partitionKey) => Create($"PartitionKey eq {partitionKey}");

    /// <summary>
    /// Rows of one partition whose RowKey starts with <paramref name="prefix"/>: a range
    /// <c>RowKey ge prefix and RowKey lt successor(prefix)</c>, which the service serves as a scan.
    /// </summary>
    public static string RowKeyStartsWith(string partitionKey, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var upper = PrefixSuccessor(prefix);
        return upper is null
            ? Create($"PartitionKey eq {partitionKey} and RowKey ge {prefix}")
            : Create($"PartitionKey eq {partitionKey} and RowKey ge {prefix} and RowKey lt {upper}");
    }

    /// <summary>Joins clauses with <c>and</c>, each in parentheses.</summary>
    public static string And(params string[] clauses) => string.Join(" and ", clauses.Select(c => $"({c})"));

    /// <summary>The OData literal for a value: strings quoted with <c>'</c> doubled, <c>123L</c>, <c>datetime'…'</c>, <c>guid'…'</c>, <c>X'…'</c>.</summary>
    public static string Literal(object? value) => value switch
    {
        string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        double d when double.IsFinite(d) => DoubleLiteral(d),
        DateTimeOffset dto => "datetime'" + dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) + "'",
        DateTime dt => Literal(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime())),
        Guid g => "guid'" + g.ToString("D") + "'",
        byte[] bytes => "X'" + Convert.ToHexString(bytes) + "'",
        null => throw new ArgumentException("A filter value cannot be null; the Table service has no null literal."),
        double => throw new ArgumentException("NaN and infinities cannot be compared in a filter."),
        _ => throw new ArgumentException($"A filter value of type {value.GetType().Name} has no OData literal."),
    };

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

    private static string DoubleLiteral(double d)
    {
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        // A whole number written as "2" would be read as Int32 and compare as one.
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
    }
}
