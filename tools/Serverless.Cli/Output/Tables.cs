using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Serverless.Cli.Output;

/// <summary>Formatting shared by the summary tables.</summary>
internal static class Tables
{
    /// <summary>A table with <paramref name="headers"/>, numbers right-aligned from <paramref name="firstNumber"/> on.</summary>
    public static Table New(int firstNumber, params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        for (var i = 0; i < headers.Length; i++)
        {
            var column = new TableColumn(Markup.Escape(headers[i]));
            table.AddColumn(i >= firstNumber ? column.RightAligned() : column);
        }

        return table;
    }

    /// <summary>An integer member as text with thousands separators (<c>-</c> when absent).</summary>
    public static string Count(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetInt64().ToString("N0", CultureInfo.InvariantCulture) : "-";

    /// <summary>A byte count member in B/KiB/MiB/GiB.</summary>
    public static string Bytes(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? Bytes(value.GetInt64()) : "-";

    /// <summary>A byte count in B/KiB/MiB/GiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1073741824.0).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };

    /// <summary>A string member, or <paramref name="fallback"/>.</summary>
    public static string Text(JsonElement element, string name, string fallback = "") =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? (value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()) : fallback;

    /// <summary>An array member's items (none when absent).</summary>
    public static IEnumerable<JsonElement> Items(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray() : [];
}
