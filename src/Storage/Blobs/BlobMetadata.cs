using System.Text.RegularExpressions;
using Azure;
using Azure.Core;

namespace Serverless.Storage.Blobs;

/// <summary>
/// Blob metadata travels as <c>x-ms-meta-{name}</c> headers. Names are kept to lower-case ASCII
/// letters and digits because the header is signed in sorted order, and the service and SDKs sort
/// other characters differently (storage-rest.md, open question 5).
/// </summary>
internal static partial class BlobMetadata
{
    /// <summary>The service's limit on all names and values together, in bytes.</summary>
    public const int MaxTotalBytes = 8 * 1024;

    private const string Prefix = "x-ms-meta-";

    public static void Check(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        var total = 0;
        foreach (var (name, value) in metadata)
        {
            if (name is null || !MetadataName().IsMatch(name))
            {
                throw new ArgumentException($"Metadata name '{name}' is not allowed: use 1 to 64 lower-case ASCII letters and digits, starting with a letter.", nameof(metadata));
            }

            ArgumentNullException.ThrowIfNull(value, nameof(metadata));
            if (value.Any(c => c is < ' ' or > '~') || value.Trim().Length != value.Length)
            {
                throw new ArgumentException($"Metadata value for '{name}' must be printable ASCII without leading or trailing spaces (it is sent as an HTTP header).", nameof(metadata));
            }

            total += name.Length + value.Length;
        }

        if (total > MaxTotalBytes)
        {
            throw new ArgumentException($"Metadata totals {total} bytes; the service allows {MaxTotalBytes}.", nameof(metadata));
        }
    }

    public static void Write(Request request, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var (name, value) in metadata)
        {
            request.Headers.SetValue(Prefix + name, value);
        }
    }

    public static Dictionary<string, string> Read(Response response)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers)
        {
            if (header.Name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                metadata[header.Name[Prefix.Length..].ToLowerInvariant()] = header.Value;
            }
        }

        return metadata;
    }

    [GeneratedRegex("^[a-z][a-z0-9]{0,63}$")]
    private static partial Regex MetadataName();
}
