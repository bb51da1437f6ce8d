namespace Serverless.Functions.Portability;

/// <summary>Export and import settings (section <c>Portability</c>).</summary>
public sealed class PortabilityOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Portability";

    /// <summary>The most uncompressed bytes a bundle may expand to (4 GiB): the zip-bomb guard over all entries.</summary>
    public long MaxUncompressedBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}
