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

    [Fact]
    public async Task UnreachableStorage_ReadinessIs503Problem_WhileHealthStaysOk()
    {
        var ready = await factory.CreateClient().GetAsync("/api/ready");
        var health = await factory.CreateClient().GetAsync("/api/health");

        var problem = await ProblemAssert.IsProblemAsync(ready, HttpStatusCode.ServiceUnavailable, "storage_unavailable");
        Assert.NotNull(ready.Headers.RetryAfter);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}

/// <summary>Readiness follows storage: ready while it answers, 503 soon after it goes away, with health unaffected.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readiness_Is200WhileStorageAnswers_And503AfterItStops()
    {
        var azurite = await Azurite.StartAsync();
        await using var factory = new ApiFactory(azurite, localScheduler: false);
        var client = factory.CreateClient();
        HttpResponseMessage ready;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            ready = await client.GetAsync("/api/ready");
        }
        while (ready.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ready", body.GetProperty("status").GetString());

        await azurite.DisposeAsync();
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            ready = await client.GetAsync("/api/ready");
        }
        while (ready.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline && await Delay());

        await ProblemAssert.IsProblemAsync(ready, HttpStatusCode.ServiceUnavailable, "storage_unavailable");
        Assert.NotNull(ready.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(250);
        return true;
    }
}

/// <summary>The readiness probe against the run's Azurite: one probe serves every caller for a few seconds.</summary>
public sealed class StorageProbeTests
{
    [Fact]
    public async Task Probe_IsCached_ForItsWindow_AndSharedByConcurrentCallers()
    {
        var azurite = await Azurite.Shared;
        var counter = new Serverless.Storage.Pipeline.RoundTripCounter();
        var account = azurite.Connect(counter.AddTo);
        var tables = new Serverless.Functions.Storage.AppTables(
            account.Tables.GetTableClient(Azurite.UniqueName("probe")), account.Tables.GetTableClient(Azurite.UniqueName("due")),
            account.Tables.GetTableClient(Azurite.UniqueName("expiry")), account.Tables.GetTableClient(Azurite.UniqueName("lifecycle")));
        var containers = new Serverless.Functions.Storage.AppContainers(account.Blobs.GetBlobContainerClient(Azurite.UniqueName("probe")));
        await tables.Users.CreateAsync();
        await containers.Payloads.CreateAsync();
        var readiness = new Serverless.Functions.Storage.StorageReadiness();
        readiness.MarkReady();
        var clock = new Serverless.Tests.Missions.ManualClock(DateTimeOffset.UtcNow);
        var probe = new Serverless.Functions.Storage.StorageProbe(tables, containers, readiness, clock);
        counter.Reset();

        var first = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => probe.CheckAsync()));
        var probesFirst = counter.Reset();
        clock.Now += Serverless.Functions.Storage.StorageProbe.CacheFor / 2;
        var cached = await probe.CheckAsync();
        var probesCached = counter.Reset();
        clock.Now += Serverless.Functions.Storage.StorageProbe.CacheFor;
        var fresh = await probe.CheckAsync();
        var probesFresh = counter.Reset();

        Assert.All(first, state => Assert.True(state.Ready));
        Assert.Equal(2, probesFirst); // one table read, one container check
        Assert.True(cached.Ready);
        Assert.Equal(0, probesCached);
        Assert.True(fresh.Ready);
        Assert.Equal(2, probesFresh);
        await tables.Users.DeleteAsync();
        await containers.Payloads.DeleteAsync();
    }
}
