using System.IO.Compression;
using System.Text;

namespace Serverless.Bench.Codecs;

/// <summary>
/// One kind of real text already on the machine, written by other people: the file list is
/// sorted (ordinal) so the same machine always yields the same corpus. <see cref="Weight"/> is
/// the share of corpus messages drawn from it while it lasts.
/// </summary>
internal sealed record CorpusSource(string Name, double Weight, IReadOnlyList<string> Files)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes of <paramref name="path"/>, inflated when it is a .gz file (Debian compresses changelogs).</summary>
    public static byte[] ReadBytes(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return File.ReadAllBytes(path);
        }

        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        gzip.CopyTo(inflated);
        return inflated.ToArray();
    }

    /// <summary>The file's text, or <c>null</c> when it is not clean UTF-8 text (we want text, not binary noise).</summary>
    public static string? DecodeText(byte[] bytes)
    {
        try
        {
            var text = StrictUtf8.GetString(bytes).TrimStart('\uFEFF');
            return text.Contains('\0', StringComparison.Ordinal) ? null : text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}

/// <summary>Finds the corpus sources: API docs (XML), prose (changelogs, licences) and code (C headers).</summary>
internal static class CorpusSources
{
    // Chat transcripts mix prose, API documentation and code; these weights aim at that mix.
    public static IReadOnlyList<CorpusSource> FindAll() =>
    [
        new("dotnet-xml-docs", 0.35, DotnetReferenceXmlDocs()),
        new("debian-changelogs", 0.25, DebianDocFiles(name => name.StartsWith("changelog", StringComparison.Ordinal) && name.EndsWith(".gz", StringComparison.Ordinal))),
        new("debian-copyright-and-licenses", 0.20, [.. DebianDocFiles(name => name == "copyright"), .. FilesIn("/usr/share/common-licenses", "*", recursive: false)]),
        new("c-headers", 0.20, FilesIn("/usr/include", "*.h", recursive: false)),
    ];

    /// <summary>The IntelliSense XML files of the .NET reference packs (packs/*/ref/**/*.xml).</summary>
    private static List<string> DotnetReferenceXmlDocs()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        // The running runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
        var runtimeRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        string?[] candidates = [Environment.GetEnvironmentVariable("DOTNET_ROOT"), runtimeRoot, "/usr/share/dotnet", "/usr/lib/dotnet", Path.Combine(home, ".dotnet")];

        var roots = candidates
            .Where(r => !string.IsNullOrEmpty(r) && Directory.Exists(r))
            .Select(r => CanonicalDirectory(r!))
            .Distinct(StringComparer.Ordinal);

        var sep = Path.DirectorySeparatorChar;
        return roots
            .SelectMany(r => FilesIn(Path.Combine(r, "packs"), "*.xml", recursive: true))
            .Where(p => p.Contains($"{sep}ref{sep}", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Files directly inside each package folder of /usr/share/doc whose name matches.</summary>
    private static List<string> DebianDocFiles(Func<string, bool> nameMatches) =>
        Directory.Exists("/usr/share/doc")
            ? Directory.EnumerateDirectories("/usr/share/doc")
                .SelectMany(d => FilesIn(d, "*", recursive: false))
                .Where(p => nameMatches(Path.GetFileName(p)))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    private static List<string> FilesIn(string directory, string pattern, bool recursive) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, pattern, new EnumerationOptions { RecurseSubdirectories = recursive, IgnoreInaccessible = true })
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    private static string CanonicalDirectory(string path)
    {
        var info = new DirectoryInfo(Path.GetFullPath(path));
        return (info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName).TrimEnd(Path.DirectorySeparatorChar);
    }
}
