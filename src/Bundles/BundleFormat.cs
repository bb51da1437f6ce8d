using System.Globalization;
using System.Security.Cryptography;

namespace Serverless.Bundles;

/// <summary>The fixed names and rules of the bundle format (docs/bundle-format.md), version 1.</summary>
public static class BundleFormat
{
    /// <summary>The manifest's <c>format</c>.</summary>
    public const string Name = "serverless-bundle";

    /// <summary>The version this library writes and reads.</summary>
    public const int Version = 1;

    /// <summary>The manifest's entry name.</summary>
    public const string ManifestEntry = "manifest.json";

    /// <summary>The folder of kind files.</summary>
    public const string KindsFolder = "kinds/";

    /// <summary>The folder of blob files.</summary>
    public const string BlobsFolder = "blobs/";

    /// <summary>The longest line of a kind file, in bytes, without its <c>\n</c>.</summary>
    public const int MaxLineBytes = 4 * 1024 * 1024;

    /// <summary>The largest manifest, in bytes.</summary>
    public const int MaxManifestBytes = 32 * 1024 * 1024;

    /// <summary>Texts longer than this many characters go to a blob file in the server's exports (the storage's offload threshold).</summary>
    public const int InlineTextChars = 16_384;

    /// <summary>The entry name of a kind's file.</summary>
    public static string KindFile(string kind) =>
        IsKindName(kind) ? KindsFolder + kind + ".ndjson" : throw new ArgumentException($"'{kind}' is not a kind name.", nameof(kind));

    /// <summary>The entry name of a blob whose SHA-256 is <paramref name="sha256"/> (lower-case hex).</summary>
    public static string BlobFile(string sha256) =>
        IsSha256(sha256) ? BlobsFolder + sha256 : throw new ArgumentException($"'{sha256}' is not a lower-case hex SHA-256.", nameof(sha256));

    /// <summary>The entry name of the blob holding <paramref name="bytes"/>.</summary>
    public static string BlobFileOf(ReadOnlySpan<byte> bytes) => BlobFile(Sha256Hex(bytes));

    /// <summary>Lower-case hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Whether <paramref name="kind"/> is a legal kind name: <c>[a-z][a-z0-9.]*</c>, at most 64 characters.</summary>
    public static bool IsKindName(string? kind) =>
        kind is { Length: > 0 and <= 64 } && kind[0] is >= 'a' and <= 'z' && !kind.AsSpan().ContainsAnyExcept(KindCharacters) && !kind.EndsWith('.');

    /// <summary>Whether <paramref name="value"/> is 64 lower-case hex digits.</summary>
    public static bool IsSha256(string? value) => value is { Length: 64 } && !value.AsSpan().ContainsAnyExcept(HexCharacters);

    /// <summary>The kind of a legal kind file name, or null.</summary>
    public static string? KindOfFile(string entryName)
    {
        const string suffix = ".ndjson";
        if (!entryName.StartsWith(KindsFolder, StringComparison.Ordinal) || !entryName.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        var kind = entryName[KindsFolder.Length..^suffix.Length];
        return IsKindName(kind) ? kind : null;
    }

    /// <summary>Whether <paramref name="entryName"/> is a legal blob file name.</summary>
    public static bool IsBlobFile(string entryName) =>
        entryName.StartsWith(BlobsFolder, StringComparison.Ordinal) && IsSha256(entryName[BlobsFolder.Length..]);

    /// <summary>A timestamp as bundles write it: UTC, seven fractional digits, <c>Z</c> (what the API returns).</summary>
    public static string Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static readonly System.Buffers.SearchValues<char> KindCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789.");
    private static readonly System.Buffers.SearchValues<char> HexCharacters = System.Buffers.SearchValues.Create("0123456789abcdef");
}
