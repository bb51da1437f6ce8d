using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Bundles;

namespace Serverless.Cli.Importers;

/// <summary>Conversions every importer shares: ids, timestamps, JSON columns, roles, names; and the one way to refuse input.</summary>
public static partial class ImportValues
{
    /// <summary>The roles a message may have (docs/bundle-format.md, <c>message</c>).</summary>
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal) { "system", "user", "assistant", "tool" };

    /// <summary>The failure for input the importer does not understand: exit code 7, the place and what is wrong.</summary>
    public static CliException NotUnderstood(string source, string what) =>
        new(ExitCodes.InputFormat, "format_not_understood", $"{source}: {what}");

    /// <summary>
    /// A resource id (threads, runs, records, artifacts: 1-64 of <c>A-Z a-z 0-9 _ -</c>) for an app's id: the id itself
    /// when legal, else its legal characters (others as <c>-</c>) cut to 55 and 8 hex digits of its SHA-256, so two
    /// different ids never meet and importing again gives the same id.
    /// </summary>
    public static string ResourceId(string original)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (ResourceIdPattern().IsMatch(original))
        {
            return original;
        }

        var legal = InvalidIdCharacters().Replace(original, "-");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(original)))[..8];
        return (legal.Length > 55 ? legal[..55] : legal) + "-" + hash;
    }

    /// <summary>Whether <paramref name="id"/> is a legal client message id (1-128 visible ASCII characters).</summary>
    public static bool IsMessageId(string? id) => id is { Length: >= 1 and <= 128 } && id.All(c => c is > ' ' and < '\u007f');

    /// <summary>A name for event types and run kinds (<c>[a-z][a-z0-9_.:-]{0,63}</c>): lower-cased, other characters as <c>_</c>.</summary>
    public static string Name(string value, string source)
    {
        var name = InvalidNameCharacters().Replace(value.Trim().ToLowerInvariant(), "_");
        name = name.Length > 64 ? name[..64] : name;
        return name.Length > 0 && name[0] is >= 'a' and <= 'z' ? name : throw NotUnderstood(source, $"'{value}' cannot be made a name (it must start with a letter).");
    }

    /// <summary>A settings namespace or key (<c>[A-Za-z0-9._:-]{1,100}</c>), or a failure naming <paramref name="source"/>.</summary>
    public static string SettingName(string value, string source) =>
        SettingNamePattern().IsMatch(value) ? value : throw NotUnderstood(source, $"'{value}' is not a settings name (1-100 of A-Z a-z 0-9 . _ : -).");

    /// <summary>
    /// A timestamp as bundles write it, from what the apps store: ISO-8601 text (with or without an offset: UTC
    /// assumed, as SQLite's <c>datetime('now')</c> writes), or Unix milliseconds (JavaScript's <c>Date.now()</c>).
    /// </summary>
    public static string Timestamp(JsonNode? value, string source)
    {
        switch (value)
        {
            case JsonValue number when number.TryGetValue<long>(out var millis):
                return FromMillis(millis, source);
            case JsonValue number when number.TryGetValue<double>(out var fraction):
                return FromMillis((long)fraction, source);
            case JsonValue text when text.TryGetValue<string>(out var s):
                return Timestamp(s, source);
            default:
                throw NotUnderstood(source, $"expected a time (ISO-8601 text or Unix milliseconds), found {value?.ToJsonString() ?? "nothing"}.");
        }
    }

    /// <summary>A timestamp from text (see <see cref="Timestamp(JsonNode?, string)"/>).</summary>
    public static string Timestamp(string? text, string source)
    {
        if (text is null)
        {
            throw NotUnderstood(source, "a required time is missing.");
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var millis))
        {
            return FromMillis(millis, source);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? BundleFormat.Timestamp(parsed)
            : throw NotUnderstood(source, $"'{text}' is not a time the importer understands (ISO-8601 or Unix milliseconds).");
    }

    /// <summary>A JSON column (SQLite TEXT holding JSON): null when empty, else its value, or a failure naming the column.</summary>
    public static JsonNode? JsonColumn(string? text, string source)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw NotUnderstood(source, $"expected JSON text, but it does not parse ({e.Message}).");
        }
    }

    /// <summary>A JSON object for a <c>metadata</c>/<c>properties</c> member: objects as they are, anything else under <c>value</c>.</summary>
    public static JsonObject? AsObject(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o,
        _ => new JsonObject { ["value"] = node },
    };

    /// <summary>The most a <c>metadata</c> object may hold, serialized (threads, messages, runs).</summary>
    public const int MaxMetadataChars = 4096;

    /// <summary>
    /// <paramref name="metadata"/> within <see cref="MaxMetadataChars"/>: the largest members are dropped (and noted)
    /// until it fits, so an app's bulky extras cannot make the whole resource fail on the server.
    /// </summary>
    public static JsonObject FitMetadata(JsonObject metadata, BundleBuilder bundle, string kind, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(bundle);
        while (metadata.ToJsonString().Length > MaxMetadataChars && metadata.Count > 0)
        {
            var largest = metadata.OrderByDescending(p => p.Value?.ToJsonString().Length ?? 4).First().Key;
            metadata.Remove(largest);
            bundle.Note(kind, source, $"metadata member '{largest}' left out: metadata holds at most {MaxMetadataChars} characters");
        }

        return metadata;
    }

    /// <summary>Reads a JSON file; a file that does not parse is a failure naming it.</summary>
    public static JsonNode ReadJsonFile(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true }) ?? throw NotUnderstood(path, "the file holds JSON null.");
        }
        catch (JsonException e)
        {
            throw NotUnderstood(path, $"not valid JSON ({e.Message}).");
        }
    }

    /// <summary>A member's string value, or null.</summary>
    public static string? Text(JsonObject? node, string member) =>
        node?[member] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A member's integer value, or null.</summary>
    public static long? Whole(JsonObject? node, string member) =>
        node?[member] is JsonValue value && value.TryGetValue<long>(out var number) ? number
        : node?[member] is JsonValue d && d.TryGetValue<double>(out var fraction) && fraction == Math.Floor(fraction) ? (long)fraction : null;

    private static string FromMillis(long millis, string source) =>
        millis is >= 0 and <= 253_402_300_799_999
            ? BundleFormat.Timestamp(DateTimeOffset.FromUnixTimeMilliseconds(millis))
            : throw NotUnderstood(source, $"{millis} is not a time in Unix milliseconds.");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ResourceIdPattern();

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex InvalidIdCharacters();

    [GeneratedRegex("[^a-z0-9_.:-]")]
    private static partial Regex InvalidNameCharacters();

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,100}$")]
    private static partial Regex SettingNamePattern();
}
