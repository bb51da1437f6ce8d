using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.Storage.Blobs;

/// <summary>Validates container and blob names and turns blob names into URL paths.</summary>
internal static partial class BlobNames
{
    /// <summary>The service's limit on a blob name, in characters.</summary>
    public const int MaxBlobNameLength = 1024;

    public static void CheckContainer(string containerName)
    {
        ArgumentNullException.ThrowIfNull(containerName);
        if (!ContainerName().IsMatch(containerName))
        {
            throw new ArgumentException(
                $"'{containerName}' is not a valid container name: use 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.",
                nameof(containerName));
        }
    }

    /// <summary>
    /// Rejects names the service refuses or silently rewrites: empty, too long, control characters,
    /// a backslash (Azure turns it into '/'), a trailing '.' or '/' (Azure trims them), or an empty path segment.
    /// </summary>
    public static void CheckBlob(string blobName, string paramName = "blobName")
    {
        ArgumentNullException.ThrowIfNull(blobName, paramName);
        string? problem = null;
        if (blobName.Length == 0)
        {
            problem = "it is empty";
        }
        else if (blobName.Length > MaxBlobNameLength)
        {
            problem = $"it is longer than {MaxBlobNameLength} characters";
        }
        else if (blobName.Any(char.IsControl))
        {
            problem = "it contains a control character";
        }
        else if (blobName.Contains('\\', StringComparison.Ordinal))
        {
            problem = "it contains a backslash";
        }
        else if (blobName.EndsWith('.') || blobName.EndsWith('/'))
        {
            problem = "it ends with '.' or '/'";
        }
        else if (blobName.StartsWith('/') || blobName.Contains("//", StringComparison.Ordinal))
        {
            problem = "it has an empty path segment";
        }

        if (problem is not null)
        {
            throw new ArgumentException($"'{blobName}' is not a valid blob name: {problem}.", paramName);
        }
    }

    /// <summary>Percent-encodes each '/'-separated segment, keeping the slashes as path separators.</summary>
    public static string EscapePath(string blobName)
    {
        var path = new StringBuilder(blobName.Length + 16);
        foreach (var segment in blobName.Split('/'))
        {
            if (path.Length > 0)
            {
                path.Append('/');
            }

            path.Append(Uri.EscapeDataString(segment));
        }

        return path.ToString();
    }

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex ContainerName();
}
