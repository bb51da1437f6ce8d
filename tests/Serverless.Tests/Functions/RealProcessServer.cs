using Serverless.Functions.FunctionMetadata;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// One real server process for <see cref="RealProcessTests"/>, started as the Functions host starts
/// a custom handler, against the run's Azurite with tables and containers of its own.
/// </summary>
public sealed class RealProcessServer : IAsyncLifetime
{
    private readonly string metadataDirectory = Directory.CreateTempSubdirectory("real-process-functions-").FullName;

    /// <summary>The server's environment: what the host and the app settings would give it.</summary>
    public Dictionary<string, string?> Environment { get; private set; } = [];

    /// <summary>The running server.</summary>
    public ServerProcess Server { get; private set; } = null!;

    /// <summary>The function.json bindings the same binary generates, by function name: the host's view of it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<FunctionBinding>> Functions { get; private set; } = new Dictionary<string, IReadOnlyList<FunctionBinding>>();

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        Environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = azurite.ConnectionString,
            ["Storage__UserTable"] = "users" + suffix,
            ["Storage__TimerTable"] = "timers" + suffix,
            ["Storage__PayloadContainer"] = "payloads" + suffix,
            ["Storage__LockContainer"] = "locks" + suffix,
            ["Auth__Development__Enabled"] = "true",
            ["Auth__Development__SigningKey"] = ApiFactory.DevelopmentKey,
        };

        var metadata = await ServerProcess.RunCommandAsync(Environment, TimeSpan.FromSeconds(60), WriteFunctionMetadataCommand.Name, metadataDirectory);
        if (metadata.ExitCode != 0)
        {
            throw new InvalidOperationException($"write-function-metadata exited {metadata.ExitCode}: {metadata.StandardError}");
        }

        Functions = Directory.EnumerateFiles(metadataDirectory, FunctionDescription.FileName, SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetFileName(Path.GetDirectoryName(f)!), f => FunctionJson.ReadBindings(File.ReadAllText(f)));

        Server = await ServerProcess.StartAsync(Environment);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Directory.Delete(metadataDirectory, recursive: true);
    }
}
