using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Serverless.Bench.App;
using Serverless.Bench.Conversations;
using Serverless.Storage.Pipeline;
using Serverless.Testing;

namespace Serverless.Bench.Artifacts;

/// <summary>
/// The suite's storage and app: its own tables and container in the suite's Azurite, the published server's
/// environment pointing at them (quota large enough for the 100 MiB runs), one user with a bearer token, and a bare
/// SDK container client (default options but the REST version, nothing of ours in its pipeline) for the baseline of each comparison.
/// </summary>
internal sealed class ArtifactsDeployment
{
    private readonly PublishedApp server;
    private readonly Azurite azurite;
    private readonly Dictionary<string, string> environment;
    private readonly string[] tableNames;

    private ArtifactsDeployment(PublishedApp server, Azurite azurite)
    {
        this.server = server;
        this.azurite = azurite;
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        UserId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        Token = BenchToken.Mint(secret, UserId);
        UserTable = Azurite.UniqueName("au");
        tableNames = [UserTable, Azurite.UniqueName("ad"), Azurite.UniqueName("ae"), Azurite.UniqueName("aj")];
        PayloadContainer = Azurite.UniqueName("ap");
        environment = AppSuite.ServerEnvironment(azurite.ConnectionString, secret);
        environment["Storage__UserTable"] = tableNames[0];
        environment["Storage__DueTable"] = tableNames[1];
        environment["Storage__ExpiryTable"] = tableNames[2];
        environment["Storage__LifecycleTable"] = tableNames[3];
        environment["Storage__PayloadContainer"] = PayloadContainer;
        environment["Missions__SecretKeys__bench"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        environment["Missions__ActiveSecretKeyId"] = "bench";
        environment["Artifacts__MaxBytesPerUser"] = (4L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The SDK's defaults but for the REST version, which Azurite needs pinned (as StoragePipeline does).
        Baseline = new BlobServiceClient(azurite.ConnectionString, new BlobClientOptions(StoragePipeline.BlobServiceVersion)).GetBlobContainerClient(Azurite.UniqueName("ab"));
    }

    public string UserId { get; }

    public string Token { get; }

    public string UserTable { get; }

    public string PayloadContainer { get; }

    /// <summary>The bare SDK's container for the baseline transfers.</summary>
    public BlobContainerClient Baseline { get; }

    public Azurite Azurite => azurite;

    public static async Task<ArtifactsDeployment> CreateAsync(Azurite azurite, PublishedApp server)
    {
        var deployment = new ArtifactsDeployment(server, azurite);
        await deployment.Baseline.CreateIfNotExistsAsync();
        return deployment;
    }

    /// <summary>Starts the published server on this deployment's storage and waits for its health check.</summary>
    public async Task<RunningApp> StartAppAsync()
    {
        var process = AppProcess.Start(server, environment);
        try
        {
            var client = await AppSuite.ReadyClientAsync(process, Token);
            return new RunningApp(process, client, Token);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Deletes the suite's tables and containers (missing ones are fine).</summary>
    public async Task CleanupAsync()
    {
        foreach (var name in tableNames)
        {
            await azurite.Table(name).DeleteAsync();
        }

        await azurite.Container(PayloadContainer).DeleteIfExistsAsync();
        await Baseline.DeleteIfExistsAsync();
    }
}
