using Serverless.Functions.FunctionMetadata;

namespace Serverless.Tests.Functions;

/// <summary>Writing function folders into a publish folder that already holds other files and earlier functions.</summary>
public sealed class FunctionMetadataWriterTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("function-metadata-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Write_CreatesAFolderWithFunctionJsonPerFunction()
    {
        var result = FunctionMetadataWriter.Write(directory, [Http("health", "health"), Http("items-id", "v1/items/{id:guid}")]);

        Assert.Equal(["health", "items-id"], result.Written);
        Assert.Equal(Http("items-id", "v1/items/{id:guid}").ToJson(), File.ReadAllText(Path.Combine(directory, "items-id", "function.json")));
        Assert.True(File.Exists(Path.Combine(directory, "health", "function.json")));
        Assert.Empty(Directory.EnumerateFiles(directory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Write_RemovesOnlyStaleFunctionFolders()
    {
        FunctionMetadataWriter.Write(directory, [Http("health", "health"), Http("old-route", "v1/old")]);
        var runtimes = Directory.CreateDirectory(Path.Combine(directory, "runtimes")).FullName;
        File.WriteAllText(Path.Combine(runtimes, "native.so"), "not ours");
        var shared = Path.Combine(directory, "shared");
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(shared, "function.json"), "{}");
        File.WriteAllText(Path.Combine(shared, "notes.txt"), "someone else's");

        var result = FunctionMetadataWriter.Write(directory, [Http("health", "health")]);

        Assert.Equal(["old-route"], result.Removed);
        Assert.Equal(["shared"], result.Emptied);
        Assert.False(Directory.Exists(Path.Combine(directory, "old-route")));
        Assert.True(File.Exists(Path.Combine(runtimes, "native.so")));
        Assert.False(File.Exists(Path.Combine(shared, "function.json")));
        Assert.True(File.Exists(Path.Combine(shared, "notes.txt")));
    }

    [Fact]
    public void Write_LeavesIdenticalFilesUntouched_AndRewritesChangedOnes()
    {
        FunctionMetadataWriter.Write(directory, [Http("health", "health"), Http("items", "v1/items")]);
        var health = Path.Combine(directory, "health", "function.json");
        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(health, stamp);

        var result = FunctionMetadataWriter.Write(directory, [Http("health", "health"), Http("items", "v1/items", "get", "post")]);

        Assert.Equal(["health"], result.Unchanged);
        Assert.Equal(["items"], result.Written);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(health));
        Assert.Contains("\"post\"", File.ReadAllText(Path.Combine(directory, "items", "function.json")), StringComparison.Ordinal);
    }

    private static FunctionDescription Http(string name, string route, params string[] methods) =>
        new(name, [FunctionBinding.HttpTrigger(route, methods.Length == 0 ? ["get"] : methods), FunctionBinding.HttpOutput], "route /api/" + route);
}
