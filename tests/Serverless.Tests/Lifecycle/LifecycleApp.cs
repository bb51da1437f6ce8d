using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Lifecycle;
using Serverless.Functions.Storage;
using Serverless.Functions.Timers;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>
/// The local server for lifecycle API tests: tables of its own, its timer scheduler off (tests run the timer jobs
/// as the timer functions do, through <see cref="TimerJobRunner"/>), optionally a manual clock; plus a workload
/// written through the API and a raw scan of every table and the container.
/// </summary>
internal sealed class LifecycleApp : IAsyncDisposable
{
    private readonly ApiFactory factory;
    private readonly WebApplicationFactory<Program> app;

    private LifecycleApp(ApiFactory factory, WebApplicationFactory<Program> app)
    {
        this.factory = factory;
        this.app = app;
    }

    public IServiceProvider Services => app.Services;

    public LifecycleJobs Jobs => Services.GetRequiredService<LifecycleJobs>();

    public AppTables Tables => Services.GetRequiredService<AppTables>();

    public static async Task<LifecycleApp> StartAsync(IDictionary<string, string?>? extra = null, TimeProvider? clock = null)
    {
        // A request's share of a job is time-boxed (2 s by default); on a loaded test machine a small user's report can
        // take longer, so tests that expect the in-request answer get a generous budget and those about the 202 path
        // set it to zero explicitly.
        var settings = new Dictionary<string, string?> { ["Lifecycle:RequestWorkBudget"] = "00:00:30" };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var factory = new ApiFactory(await Azurite.Shared, settings, localScheduler: false);
        var app = clock is null ? factory : factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(clock)));
        return new LifecycleApp(factory, app);
    }

    public HttpClient ClientFor(string userId)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.TokenFor(userId));
        return client;
    }

    /// <summary>Runs a timer job once, as its timer function does.</summary>
    public Task RunTimerAsync<TJob>(string name)
        where TJob : ITimerJob =>
        Services.GetRequiredService<TimerJobRunner>().RunAsync(typeof(TJob), new TimerInvocation(name, DateTimeOffset.UtcNow, IsPastDue: false, NextOccurrence: null), CancellationToken.None);

    /// <summary>One run of the LifecycleJobs timer.</summary>
    public Task RunJobsAsync() => RunTimerAsync<LifecycleJobsJob>(LifecycleJobsJob.Name);

    /// <summary>
    /// Writes, through the API, data of most kinds: settings, threads with messages (client ids, an offloaded text),
    /// an archive segment, a summary, a fork, a soft-deleted thread, missions (one deleted), idempotency records.
    /// </summary>
    public static async Task FillAsync(HttpClient client)
    {
        async Task Ok(HttpResponseMessage response) => Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");

        await Ok(await client.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = "dark" }));
        using (var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/threads") { Content = JsonContent.Create(new { id = "t1", title = "one" }) })
        {
            create.Headers.Add("Idempotency-Key", "k-1");
            await Ok(await client.SendAsync(create));
        }

        await Ok(await client.PostAsJsonAsync("/api/v1/threads/t1/messages/batch", new { messages = Enumerable.Range(1, 6).Select(i => new { id = $"c{i}", role = "user", content = $"message {i}" }) }));
        await Ok(await client.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "assistant", content = new string('x', 20_000) }));
        await Ok(await client.PatchAsJsonAsync("/api/v1/threads/t1", new { archived = true }));
        await Ok(await client.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "user", content = "after the archive" }));
        await Ok(await client.PutAsJsonAsync("/api/v1/threads/t1/summary", new { text = "a summary", coversSequence = 3 }));
        await Ok(await client.PostAsJsonAsync("/api/v1/threads/t1/fork", new { atSequence = 3, id = "f1" }));
        await Ok(await client.PostAsJsonAsync("/api/v1/threads", new { id = "t2" }));
        await Ok(await client.PostAsJsonAsync("/api/v1/threads/t2/messages", new { role = "user", content = new string('y', 20_000) }));
        await Ok(await client.DeleteAsync("/api/v1/threads/t2"));
        foreach (var name in new[] { "keep", "drop" })
        {
            await Ok(await client.PostAsJsonAsync("/api/v1/missions", new { name, intervalSeconds = 3600, url = "https://example.com/hook" }));
        }

        var missions = JsonDocument.Parse(await client.GetStringAsync("/api/v1/missions")).RootElement.GetProperty("data");
        var drop = missions.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "drop").GetProperty("id").GetString();
        await Ok(await client.DeleteAsync($"/api/v1/missions/{drop}"));
    }

    /// <summary>
    /// Every trace of <paramref name="userId"/>, found by a raw scan of every table and the whole container (not
    /// through the registry): a key or blob name holding the user's key, or a value holding their id or key.
    /// </summary>
    public async Task<List<string>> TracesAsync(string userId)
    {
        var key = UserPartition.For(userId).Key;
        var traces = new List<string>();
        foreach (var table in new[] { Tables.Users, Tables.Due, Tables.Expiry, Tables.Lifecycle })
        {
            foreach (var row in await table.ReadAllAsync())
            {
                var text = row.PartitionKey + "\n" + row.RowKey + "\n" + string.Join("\n", row.Where(p => !EntityLimits.IsReserved(p.Key)).Select(p => p.Value?.ToString()));
                if (text.Contains(key, StringComparison.Ordinal) || text.Contains(userId, StringComparison.OrdinalIgnoreCase))
                {
                    traces.Add($"{table.Name}: {row.PartitionKey} / {row.RowKey}");
                }
            }
        }

        var payloads = Services.GetRequiredService<AppContainers>().Payloads;
        traces.AddRange((await payloads.ListNamesAsync(string.Empty)).Where(n => n.Contains(key, StringComparison.Ordinal)));
        return traces;
    }

    /// <summary>The user's rows, read raw.</summary>
    public Task<List<TableEntity>> RowsAsync(string userId) =>
        Tables.Users.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {UserPartition.For(userId).Key}"));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    public async ValueTask DisposeAsync()
    {
        if (!ReferenceEquals(app, factory))
        {
            await app.DisposeAsync();
        }

        await factory.DisposeAsync();
    }
}
