using System.Text;

namespace Serverless.Functions.Integrations;

/// <summary>
/// Takes secret values out of bytes a receiver sent back, before they are kept: a receiver that echoes the request
/// headers would otherwise put a resolved secret into a mission's run log.
/// </summary>
public static class SecretRedaction
{
    /// <summary>What stands where a secret was.</summary>
    public const string Marker = "[secret]";

    /// <summary>A partial secret at the cut end of a truncated body is dropped from this many characters on (shorter tells nothing).</summary>
    private const int MinPartial = 4;

    /// <summary>
    /// <paramref name="body"/> with every occurrence of each secret (as UTF-8) replaced by <see cref="Marker"/>; when
    /// <paramref name="truncated"/>, a secret cut off at the end is dropped too.
    /// </summary>
    public static byte[] Redact(byte[] body, IReadOnlyCollection<string> secrets, bool truncated)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secrets);
        var result = body;
        foreach (var secret in secrets.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length))
        {
            var bytes = Encoding.UTF8.GetBytes(secret);
            result = ReplaceAll(result, bytes, Encoding.UTF8.GetBytes(Marker));
            if (truncated)
            {
                result = result[..^CutPrefix(result, bytes)];
            }
        }

        return result;
    }

    private static byte[] ReplaceAll(byte[] text, byte[] secret, byte[] marker)
    {
        var at = text.AsSpan().IndexOf(secret);
        if (at < 0)
        {
            return text;
        }

        using var output = new MemoryStream(text.Length);
        var from = 0;
        while (at >= 0)
        {
            output.Write(text, from, at);
            output.Write(marker);
            from += at + secret.Length;
            at = text.AsSpan(from).IndexOf(secret);
        }

        output.Write(text, from, text.Length - from);
        return output.ToArray();
    }

    /// <summary>The length of the longest start of <paramref name="secret"/> (at least <see cref="MinPartial"/>) that <paramref name="text"/> ends with, else 0.</summary>
    private static int CutPrefix(byte[] text, byte[] secret)
    {
        for (var length = Math.Min(secret.Length - 1, text.Length); length >= MinPartial; length--)
        {
            if (text.AsSpan(text.Length - length).SequenceEqual(secret.AsSpan(0, length)))
            {
                return length;
            }
        }

        return 0;
    }
}
