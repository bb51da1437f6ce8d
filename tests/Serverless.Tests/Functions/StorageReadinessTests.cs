using System.Diagnostics;
using System.Net;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>With storage unreachable the app still starts and answers health at once; API calls get 503, not a hang or a 500.</summary>
public sealed class StorageReadinessTests : IAsyncLifetime
{
    private ApiFactory factory = null!;

    public async Task InitializeAsync()
    {
        var deadPort = FreePorts.Take(1)[0];
        factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] =
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                $"TableEndpoint=http://127.0.0.1:{deadPort}/devstoreaccount1;BlobEndpoint=http://127.0.0.1:{deadPort}/devstoreaccount1;",
        }, localScheduler: false);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task UnreachableStorage_HealthAnswersAtOnce_AndTheApiSays503()
    {
        var watch = Stopwatch.StartNew();
        var probe = await factory.CreateClient().GetAsync("/api/health");
        var probeTime = watch.Elapsed;

        var api = await factory.ClientFor("alice").GetAsync("/api/v1/settings/ui");

        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.True(probeTime < TimeSpan.FromSeconds(10), $"health took {probeTime}");
        await ProblemAssert.IsProblemAsync(api, HttpStatusCode.ServiceUnavailable, "storage_unavailable");
        Assert.NotNull(api.Headers.RetryAfter);
    }
}
