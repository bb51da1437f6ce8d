namespace Serverless.Functions.FunctionMetadata;

/// <summary>
/// Writes <c>&lt;dir&gt;/&lt;FunctionName&gt;/function.json</c> for each function and removes the
/// function.json of functions that no longer exist, so a re-publish into the same folder cannot
/// leave the host serving a route or timer the code dropped.
/// </summary>
public static class FunctionMetadataWriter
{
    /// <summary>Writes the functions into <paramref name="directory"/>, creating it if needed.</summary>
    /// <returns>What changed on disk.</returns>
    public static FunctionMetadataWriteResult Write(string directory, IReadOnlyList<FunctionDescription> functions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(functions);
        Directory.CreateDirectory(directory);

        var written = new List<string>();
        var unchanged = new List<string>();
        foreach (var function in functions)
        {
            var folder = Path.Combine(directory, function.Name);
            var file = Path.Combine(folder, FunctionDescription.FileName);
            var json = function.ToJson();

            // Leave identical files alone so timestamps (and anything caching on them) only move on real changes.
            if (File.Exists(file) && File.ReadAllText(file) == json)
            {
                unchanged.Add(function.Name);
                continue;
            }

            Directory.CreateDirectory(folder);
            var temporary = file + ".tmp";
            File.WriteAllText(temporary, json);
            File.Move(temporary, file, overwrite: true);
            written.Add(function.Name);
        }

        var current = functions.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var removed = new List<string>();
        var kept = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            var file = Path.Combine(folder, FunctionDescription.FileName);

            // Only folders holding a function.json are ours; the publish output has other folders.
            if (current.Contains(name) || !File.Exists(file))
            {
                continue;
            }

            File.Delete(file);
            if (Directory.EnumerateFileSystemEntries(folder).Any())
            {
                // Something else lives there too: not ours to delete. Without function.json the host ignores it.
                kept.Add(name);
            }
            else
            {
                Directory.Delete(folder);
                removed.Add(name);
            }
        }

        return new FunctionMetadataWriteResult(written, unchanged, removed, kept);
    }
}
