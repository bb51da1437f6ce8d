using Serverless.Functions.FunctionMetadata;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// <c>Serverless.Functions write-function-metadata &lt;dir&gt;</c> as scripts/publish runs it: a real
/// process, with storage pointing at a port nobody listens on, to show that the command never
/// starts the app (the storage bootstrap would wait 30 s and then fail).
/// </summary>
public sealed class FunctionMetadataCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("function-metadata-command-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Command_WritesTheSameFunctionsAsTheRunningApp_WithoutTouchingStorage()
    {
        var stale = Directory.CreateDirectory(Path.Combine(directory, "dropped-route")).FullName;
        File.WriteAllText(Path.Combine(stale, "function.json"), "{}");
        var unrelated = Directory.CreateDirectory(Path.Combine(directory, "runtimes")).FullName;
        File.WriteAllText(Path.Combine(unrelated, "keep.txt"), "not a function");

        var result = await ServerProcess.RunCommandAsync(Environment(), TimeSpan.FromSeconds(60), WriteFunctionMetadataCommand.Name, directory);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardOutput}{result.StandardError}");
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(20), $"took {result.Elapsed}: did it wait for storage?");
        Assert.DoesNotContain("Waiting for storage", result.StandardOutput + result.StandardError, StringComparison.Ordinal);

        await using var factory = new ApiFactory(await Azurite.Shared);
        var expected = FunctionMetadataGenerator.FromServices(factory.Services);
        var written = Directory.EnumerateFiles(directory, "function.json", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetFileName(Path.GetDirectoryName(f)!), File.ReadAllText);

        Assert.Equal(expected.Select(f => f.Name).Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
        foreach (var function in expected)
        {
            Assert.Equal(function.ToJson(), written[function.Name]);
            Assert.Contains(function.Name, result.StandardOutput, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(stale));
        Assert.True(File.Exists(Path.Combine(unrelated, "keep.txt")));
        Assert.Contains("1 stale removed", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_WithoutADirectory_PrintsUsage()
    {
        var result = await ServerProcess.RunCommandAsync(Environment(), TimeSpan.FromSeconds(60), WriteFunctionMetadataCommand.Name);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage:", result.StandardError, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Environment() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Auth__Development__Enabled"] = "true",
        ["Auth__Development__SigningKey"] = ApiFactory.DevelopmentKey,
        ["Storage__ConnectionString"] = UnreachableStorage(),
    };

    private static string UnreachableStorage()
    {
        var port = FreePorts.Take(1)[0];
        return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
    }
}
