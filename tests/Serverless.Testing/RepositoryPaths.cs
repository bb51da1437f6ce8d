namespace Serverless.Testing;

/// <summary>Locates files of the repository from the test binaries' folder.</summary>
public static class RepositoryPaths
{
    /// <summary>The repository root: the nearest ancestor holding Serverless.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The Azurite launcher installed by npm from the pinned package.json.</summary>
    public static string Azurite => Path.Combine(Root, "node_modules", ".bin", "azurite");

    /// <summary>A path below the repository root.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Serverless.sln above {AppContext.BaseDirectory}.");
    }
}
