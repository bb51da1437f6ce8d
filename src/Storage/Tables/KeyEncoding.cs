using System.Globalization;
using System.Text;

namespace Serverless.Storage.Tables;

/// <summary>
/// Makes any string a legal PartitionKey or RowKey segment, reversibly.
/// <para>
/// Each character that a key may not hold (<c>/ \ # ?</c>, U+0000–U+001F, U+007F–U+009F), that
/// breaks point operations on the real service (<c>%</c>), that we use as a segment separator
/// (<c>|</c>) or as the escape itself (<c>!</c>) becomes <c>!XX</c> (two upper-case hex digits);
/// a lone surrogate becomes <c>!uXXXX</c>. Encoding works character by character, so
/// <c>Encode(a + b) == Encode(a) + Encode(b)</c> and a prefix of the raw value is a prefix of the
/// encoded one: prefix scans keep working. Keys are composed of segments joined by <c>|</c>,
/// which never occurs inside an encoded segment.
/// </para>
/// </summary>
public static class KeyEncoding
{
    /// <summary>
    /// The longest key we write, in UTF-16 code units. Azure allows 1 KiB; Azurite rejects keys
    /// over 512 characters, so 512 is the limit that holds on both.
    /// </summary>
    public const int MaxKeyLength = 512;

    /// <summary>The separator between segments of a composed key.</summary>
    public const char Separator = '|';

    private const char Escape = '!';

    /// <summary>Encodes one segment.</summary>
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var firstEscaped = IndexOfCharToEscape(value);
        if (firstEscaped < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        builder.Append(value, 0, firstEscaped);
        for (var i = firstEscaped; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                builder.Append(Escape).Append('u').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else if (MustEscape(c))
            {
                builder.Append(Escape).Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Reverses <see cref="Encode"/>.</summary>
    /// <exception cref="FormatException">The text is not the output of <see cref="Encode"/>.</exception>
    public static string Decode(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (!encoded.Contains(Escape, StringComparison.Ordinal))
        {
            return encoded;
        }

        var builder = new StringBuilder(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c != Escape)
            {
                builder.Append(c);
                continue;
            }

            var isWide = i + 1 < encoded.Length && encoded[i + 1] == 'u';
            var start = isWide ? i + 2 : i + 1;
            var digits = isWide ? 4 : 2;
            if (start + digits > encoded.Length
                || !int.TryParse(encoded.AsSpan(start, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            {
                throw new FormatException($"'{encoded}' is not an encoded key: a '!' at {i} is not followed by an escape.");
            }

            builder.Append((char)code);
            i = start + digits - 1;
        }

        return builder.ToString();
    }

    /// <summary>Encodes each segment and joins them with <see cref="Separator"/>.</summary>
    /// <exception cref="KeyTooLongException">The key would exceed <see cref="MaxKeyLength"/>.</exception>
    public static string Compose(params string[] segments) => CheckLength(string.Join(Separator, segments.Select(Encode)));

    /// <summary>Joins segments that are already encoded (or are constant names) with <see cref="Separator"/>.</summary>
    /// <exception cref="KeyTooLongException">The key would exceed <see cref="MaxKeyLength"/>.</exception>
    public static string ComposeEncoded(params string[] encodedSegments) => CheckLength(string.Join(Separator, encodedSegments));

    /// <summary>Splits a composed key into its decoded segments.</summary>
    public static string[] Split(string key) => key.Split(Separator).Select(Decode).ToArray();

    /// <summary>Encodes a single value that is a whole key, such as a user id used as PartitionKey.</summary>
    /// <exception cref="KeyTooLongException">The key would exceed <see cref="MaxKeyLength"/>.</exception>
    public static string EncodeKey(string value) => CheckLength(Encode(value));

    private static string CheckLength(string key) => key.Length <= MaxKeyLength
        ? key
        : throw new KeyTooLongException(key.Length);

    private static int IndexOfCharToEscape(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (MustEscape(value[i]) || char.IsSurrogate(value[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool MustEscape(char c) =>
        c < 0x20 || (c >= 0x7F && c <= 0x9F) || c is '/' or '\\' or '#' or '?' or '%' or Separator or Escape;
}

/// <summary>A key, once encoded, is longer than <see cref="KeyEncoding.MaxKeyLength"/>.</summary>
public sealed class KeyTooLongException(int length)
    : ArgumentException($"The encoded key is {length} characters long; keys may hold at most {KeyEncoding.MaxKeyLength}.")
{
    /// <summary>The encoded key's length.</summary>
    public int Length { get; } = length;
}
