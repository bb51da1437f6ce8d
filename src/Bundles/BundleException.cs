namespace Serverless.Bundles;

/// <summary>A bundle that is not valid: what check failed (<see cref="Code"/>, stable) and where.</summary>
public sealed class BundleException : Exception
{
    /// <summary>A bundle error.</summary>
    /// <param name="code">One of <see cref="BundleErrors"/>.</param>
    /// <param name="message">What is wrong, naming the entry and line where there is one.</param>
    /// <param name="inner">The exception that revealed it, if any.</param>
    public BundleException(string code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>The failed check, one of <see cref="BundleErrors"/>.</summary>
    public string Code { get; }
}

/// <summary>The stable codes of <see cref="BundleException"/>.</summary>
public static class BundleErrors
{
    /// <summary>Not a readable zip.</summary>
    public const string NotZip = "bundle_not_zip";

    /// <summary>An entry name outside the format (traversal, absolute, directory, unknown folder, duplicate).</summary>
    public const string EntryName = "bundle_entry_name";

    /// <summary>Too many entries or too many uncompressed bytes.</summary>
    public const string TooLarge = "bundle_too_large";

    /// <summary>An entry compressed beyond the allowed ratio, or inflating past its declared size.</summary>
    public const string ZipBomb = "bundle_zip_bomb";

    /// <summary>The manifest is missing, too large or malformed.</summary>
    public const string Manifest = "bundle_manifest";

    /// <summary>Another format or an unknown version.</summary>
    public const string Version = "bundle_version";

    /// <summary>A kind the reader does not know.</summary>
    public const string UnknownKind = "bundle_unknown_kind";

    /// <summary>A file the manifest lists is not in the zip.</summary>
    public const string MissingEntry = "bundle_missing_entry";

    /// <summary>An entry the manifest does not list.</summary>
    public const string UnlistedEntry = "bundle_unlisted_entry";

    /// <summary>An entry's length, SHA-256 or line count differs from the manifest.</summary>
    public const string Checksum = "bundle_checksum";

    /// <summary>A line over <see cref="BundleFormat.MaxLineBytes"/>.</summary>
    public const string LineTooLong = "bundle_line_too_long";

    /// <summary>A line that is not a valid resource of its kind (or not UTF-8 JSON, or framed wrongly).</summary>
    public const string Line = "bundle_line";
}
