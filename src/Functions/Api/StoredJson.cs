using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Serverless.Functions.Api;

/// <summary>
/// Reads JSON text the app stored earlier (metadata, tool calls, setting values, mission definitions) for a response.
/// A read never fails on what is stored, whatever wrote it: today's writes are checked (<see cref="JsonBody"/>), but
/// rows written by older versions may hold a lone UTF-16 surrogate or JSON that no longer parses. The rule, the same
/// for every kind: a lone surrogate reads as U+FFFD (as the Table SDK already reads one in a text column); JSON that does
/// not parse reads as null, and the item names the field in its <c>unreadable</c> list.
/// </summary>
public static class StoredJson
{
    /// <summary>Parses stored JSON text, lone surrogates replaced.</summary>
    /// <param name="json">The stored text; null for an absent value.</param>
    /// <param name="value">The value, or null when <paramref name="json"/> is null or does not parse.</param>
    /// <returns>False when the text is there but is not JSON: the caller marks the field unreadable.</returns>
    public static bool TryParse(string? json, out JsonElement? value)
    {
        value = null;
        if (json is null)
        {
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(Repair(json));
            value = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Deserializes stored JSON text into <typeparamref name="T"/>, lone surrogates replaced; false when it does not
    /// parse or does not have the shape of <typeparamref name="T"/> any more.
    /// </summary>
    public static bool TryDeserialize<T>(string json, JsonSerializerOptions? options, out T? value)
    {
        try
        {
            value = JsonSerializer.Deserialize<T>(Repair(json), options);
            return value is not null;
        }
        catch (JsonException)
        {
            value = default;
            return false;
        }
    }

    /// <summary>
    /// The fields of an item that could not be read, for its <c>unreadable</c> property: null when every field read.
    /// </summary>
    public static IReadOnlyList<string>? Unreadable(params (string Field, bool Read)[] fields)
    {
        var failed = fields.Where(f => !f.Read).Select(f => f.Field).ToList();
        return failed.Count == 0 ? null : failed;
    }

    /// <summary>
    /// <paramref name="json"/> with every lone surrogate, escaped (<c>\uD800</c> without its pair) or raw, replaced by
    /// U+FFFD; the same instance when there is none. Escaped backslashes (<c>\\uD800</c> is text, not an escape) are
    /// kept as they are.
    /// </summary>
    internal static string Repair(string json)
    {
        StringBuilder? repaired = null;
        var copied = 0;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            int length;
            if (c == '\\' && i + 1 < json.Length)
            {
                if (json[i + 1] != 'u' || !TryEscapedUnit(json, i, out var unit))
                {
                    i++; // Any other escape (\\ included) is two characters, never the start of \u.
                    continue;
                }

                if (!char.IsSurrogate(unit))
                {
                    i += 5;
                    continue;
                }

                if (char.IsHighSurrogate(unit) && TryEscapedUnit(json, i + 6, out var next) && char.IsLowSurrogate(next))
                {
                    i += 11;
                    continue;
                }

                length = 6;
            }
            else if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < json.Length && char.IsLowSurrogate(json[i + 1]))
                {
                    i++;
                    continue;
                }

                length = 1;
            }
            else
            {
                continue;
            }

            repaired ??= new StringBuilder(json.Length);
            repaired.Append(json, copied, i - copied).Append('\uFFFD');
            copied = i + length;
            i += length - 1;
        }

        return repaired is null ? json : repaired.Append(json, copied, json.Length - copied).ToString();
    }

    /// <summary>Reads the UTF-16 unit of a <c>\uXXXX</c> escape starting at <paramref name="at"/>.</summary>
    private static bool TryEscapedUnit(string json, int at, out char unit)
    {
        unit = default;
        if (at + 6 > json.Length || json[at] != '\\' || json[at + 1] != 'u'
            || !ushort.TryParse(json.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            return false;
        }

        unit = (char)code;
        return true;
    }
}
