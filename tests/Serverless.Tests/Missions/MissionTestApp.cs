using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Missions;
using Serverless.Functions.Timers;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Missions;

/// <summary>
/// The app with a manual clock, its local timer scheduler off (the test ticks, as the timer function would),
/// the receiver allow-listed and a fixed secret key, so several instances can share one storage.
/// </summary>
public sealed class MissionTestApp : IAsyncDisposable
{
    private readonly ApiFactory factory;
    private readonly WebApplicationFactory<Program> app;

    public MissionTestApp(Azurite azurite, WebhookReceiver receiver, ManualClock? clock, IDictionary<string, string?>? storage = null, IDictionary<string, string?>? extra = null, bool localScheduler = false)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Missions:AllowedLocalTargets:0"] = receiver.Target,
            ["Missions:DeliveryTimeout"] = "00:00:02",
            ["Missions:SecretKeys:k1"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
            ["Missions:ActiveSecretKeyId"] = "k1",
        };
        foreach (var (k, v) in storage ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        factory = new ApiFactory(azurite, settings, localScheduler: localScheduler);
        app = clock is null ? factory : factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
    }

    public IServiceProvider Services => app.Services;

    public static Dictionary<string, string?> SharedStorage()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        return new Dictionary<string, string?>
        {
            ["Storage:UserTable"] = "users" + suffix,
            ["Storage:DueTable"] = "due" + suffix,
            ["Storage:ExpiryTable"] = "exp" + suffix,
            ["Storage:LifecycleTable"] = "life" + suffix,
            ["Storage:PayloadContainer"] = "payloads" + suffix,
        };
    }

    public HttpClient ClientFor(string user)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.TokenFor(user));
        return client;
    }

    /// <summary>Runs MissionsTick as its timer function and the local scheduler do: through the app's <see cref="TimerJobRunner"/>.</summary>
    public Task TickAsync() =>
        app.Services.GetRequiredService<TimerJobRunner>().RunAsync(
            typeof(MissionsTickJob), new TimerInvocation(MissionsTickJob.Name, DateTimeOffset.UtcNow, IsPastDue: false, NextOccurrence: null), CancellationToken.None);

    public static async Task<(string Id, string Secret)> CreateAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/missions", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var json = JsonDocument.Parse(text).RootElement;
        return (json.GetProperty("mission").GetProperty("id").GetString()!, json.GetProperty("secret").GetString()!);
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
