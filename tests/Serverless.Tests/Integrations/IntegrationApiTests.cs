using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Storage;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Integrations;

/// <summary>
/// <c>/api/v1/integrations/{provider}</c> through the local server, and missions that reference its secrets: write-only
/// secrets shown masked, merges, rotation of the encryption key without downtime, and a secret that never appears in a
/// response, a log line or a stored row while the receiver gets it.
/// </summary>
public sealed class IntegrationApiTests : IAsyncLifetime
{
    private static readonly string Key1 = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string Key2 = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());
    private readonly Dictionary<string, string?> storage = MissionTestApp.SharedStorage();
    // Every log line of the app at every level, exceptions included.
    private readonly LogCapture logs = new(LogLevel.Trace);
    private WebhookReceiver receiver = null!;
    private WebApplicationFactory<Program> app = null!;

    public async Task InitializeAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        app = await AppAsync(new() { ["k1"] = Key1 }, "k1");
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await receiver.DisposeAsync();
    }

    [Fact]
    public async Task SecretsAreWriteOnly_ShownMasked_AndMergedByName()
    {
        using var client = Client(app, "alice");

        var created = await client.PutAsJsonAsync("/api/v1/integrations/github", new { config = new { org = "acme" }, secrets = new { token = "ghp_abcdefghijklmnop1234", pin = "1234" } });
        var merged = await client.PutAsJsonAsync("/api/v1/integrations/github", new { secrets = new Dictionary<string, string?> { ["pin"] = null, ["webhook"] = "whsec_zyxwvutsrqponm9876" } });
        var read = await client.GetAsync("/api/v1/integrations/github");
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/integrations");

        var first = await JsonAsync(created, HttpStatusCode.OK);
        Assert.Equal("acme", first.GetProperty("config").GetProperty("org").GetString());
        Assert.Equal([("pin", "********", (string?)null), ("token", "****1234", "1234")], Secrets(first));
        var view = await JsonAsync(read, HttpStatusCode.OK);
        Assert.Equal("acme", view.GetProperty("config").GetProperty("org").GetString());
        Assert.Equal([("token", "****1234", "1234"), ("webhook", "****9876", "9876")], Secrets(view));
        Assert.All(view.GetProperty("secrets").EnumerateArray(), s => Assert.True(s.GetProperty("usable").GetBoolean()));
        Assert.Equal(merged.Headers.ETag, read.Headers.ETag);
        Assert.Equal(["github"], list.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("provider").GetString()));
        Assert.DoesNotContain("ghp_abcdefghijklmnop1234", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadWrites_Are4xx_AndAnotherUsersIntegration_Is404()
    {
        using var alice = Client(app, "alice-bad");
        using var bob = Client(app, "bob-bad");
        var created = await alice.PutAsJsonAsync("/api/v1/integrations/slack", new { config = new { channel = "#ops" } });

        await ProblemAssert.IsProblemAsync(await alice.PutAsJsonAsync("/api/v1/integrations/Bad Name", new { }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await alice.PutAsJsonAsync("/api/v1/integrations/slack", new { config = "text" }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await alice.PutAsJsonAsync("/api/v1/integrations/slack", new { secrets = new Dictionary<string, string> { ["bad name"] = "x" } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await alice.PutAsJsonAsync("/api/v1/integrations/slack", new { secrets = new Dictionary<string, string> { ["empty"] = "" } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await alice.PutAsJsonAsync("/api/v1/integrations/slack", new { extra = 1 }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await alice.PutAsJsonAsync("/api/v1/integrations/slack", new { secrets = Enumerable.Range(0, 21).ToDictionary(i => $"s{i}", i => "value") }), HttpStatusCode.BadRequest, "validation_failed");
        var stale = new HttpRequestMessage(HttpMethod.Put, "/api/v1/integrations/slack") { Content = JsonContent.Create(new { config = new { } }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "W/\"datetime'2000-01-01T00%3A00%3A00Z'\"");
        await ProblemAssert.IsProblemAsync(await alice.SendAsync(stale), HttpStatusCode.PreconditionFailed, "precondition_failed");

        await ProblemAssert.IsProblemAsync(await bob.GetAsync("/api/v1/integrations/slack"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.DeleteAsync("/api/v1/integrations/slack"), HttpStatusCode.NotFound, "not_found");
        var bobsWrite = new HttpRequestMessage(HttpMethod.Put, "/api/v1/integrations/slack") { Content = JsonContent.Create(new { config = new { channel = "#bob" } }) };
        bobsWrite.Headers.TryAddWithoutValidation("If-Match", created.Headers.ETag!.ToString());
        await ProblemAssert.IsProblemAsync(await bob.SendAsync(bobsWrite), HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Empty((await bob.GetFromJsonAsync<JsonElement>("/api/v1/integrations")).GetProperty("data").EnumerateArray());

        var kept = await JsonAsync(await alice.GetAsync("/api/v1/integrations/slack"), HttpStatusCode.OK);
        Assert.Equal("#ops", kept.GetProperty("config").GetProperty("channel").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync("/api/v1/integrations/slack")).StatusCode);
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/integrations/slack"), HttpStatusCode.NotFound, "not_found");
    }

    /// <summary>
    /// A mission sends the secret in its header; the receiver echoes it back. The secret is in no response the API gives,
    /// no log line at any level, and no stored row (integration, mission, run): only the receiver ever sees it.
    /// </summary>
    [Fact]
    public async Task ASecretReachesTheReceiver_AndNoResponseLogLineOrStoredRow()
    {
        var secret = "ghp_" + Guid.NewGuid().ToString("N");
        var seen = new ResponseRecorder();
        using var client = Client(app, "alice-secret", seen);

        await Ok(client.PutAsJsonAsync("/api/v1/integrations/github", new { secrets = new { token = secret } }));
        var missionId = await CreateMissionAsync(client, "Bearer {{secret:github/token}}");
        var run = await JsonAsync(await client.PostAsync($"/api/v1/missions/{missionId}/run", null), HttpStatusCode.OK);
        await Ok(client.GetAsync($"/api/v1/missions/{missionId}"));
        await Ok(client.GetAsync($"/api/v1/missions/{missionId}/runs"));
        var stored = await client.GetAsync($"/api/v1/missions/{missionId}/runs/{run.GetProperty("id").GetString()}/response");
        await Ok(client.GetAsync("/api/v1/integrations/github"));
        await Ok(client.GetAsync("/api/v1/integrations"));

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal($"Bearer {secret}", receiver.At("/echo").Single().Headers["authorization"]);
        Assert.Contains("authorization: Bearer [secret]", run.GetProperty("responseExcerpt").GetString(), StringComparison.Ordinal);
        Assert.Contains("authorization: Bearer [secret]", await stored.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(seen.Bodies.Count >= 8);
        Assert.DoesNotContain(seen.Bodies, body => body.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        Assert.NotEmpty(logs.Lines);
        var rows = await Users(app).ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {UserPartition.For("alice-secret").Key}"));
        Assert.Contains(rows, r => r.RowKey.StartsWith(UserRowKeys.MissionRun + "|", StringComparison.Ordinal));
        Assert.DoesNotContain(rows.SelectMany(r => r.Select(p => p.Value).OfType<string>()), value => value.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReferenceToASecretThatIsNotSet_Is400_AndOneRemovedLater_FailsTheRunSayingSo()
    {
        using var client = Client(app, "alice-missing");
        var unset = await client.PostAsJsonAsync("/api/v1/missions", Mission("Bearer {{secret:github/token}}"));
        var malformed = await client.PostAsJsonAsync("/api/v1/missions", Mission("Bearer {{secret:github}}"));
        await Ok(client.PutAsJsonAsync("/api/v1/integrations/github", new { secrets = new { token = "ghp_0123456789abcdef" } }));
        var missionId = await CreateMissionAsync(client, "Bearer {{secret:github/token}}");
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/integrations/github")).StatusCode);
        var sentBefore = receiver.At("/echo").Count();

        var run = await JsonAsync(await client.PostAsync($"/api/v1/missions/{missionId}/run", null), HttpStatusCode.OK);

        var problem = await ProblemAssert.IsProblemAsync(unset, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("{{secret:github/token}}", problem.GetProperty("errors").GetProperty("headers")[0].GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("{{secret:github/token}}, which is not set", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("Nothing was sent", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(sentBefore, receiver.At("/echo").Count());
    }

    /// <summary>
    /// The key rotates without downtime: with a new active key and the old one still configured, a secret written under the
    /// old key opens (the mission delivers it) and is re-encrypted with the new one; then the old key can be removed.
    /// </summary>
    [Fact]
    public async Task AKeyRotation_OpensOldCiphers_ReencryptsThemLazily_AndTheOldKeyCanThenGo()
    {
        var secret = "ghp_" + Guid.NewGuid().ToString("N");
        using (var before = Client(app, "alice-rotate"))
        {
            await Ok(before.PutAsJsonAsync("/api/v1/integrations/github", new { secrets = new { token = secret } }));
        }

        Assert.StartsWith("k1:", await CipherAsync(app, "alice-rotate"), StringComparison.Ordinal);
        string missionId;
        await using (var during = await AppAsync(new() { ["k1"] = Key1, ["k2"] = Key2 }, "k2"))
        {
            using var client = Client(during, "alice-rotate");
            missionId = await CreateMissionAsync(client, "token {{secret:github/token}}");
            var run = await JsonAsync(await client.PostAsync($"/api/v1/missions/{missionId}/run", null), HttpStatusCode.OK);
            Assert.Equal("succeeded", run.GetProperty("status").GetString());
            Assert.Equal($"token {secret}", receiver.At("/echo").Last().Headers["authorization"]);
            Assert.StartsWith("k2:", await CipherAsync(during, "alice-rotate"), StringComparison.Ordinal);
        }

        await using var after = await AppAsync(new() { ["k2"] = Key2 }, "k2");
        using var afterClient = Client(after, "alice-rotate");
        var view = await JsonAsync(await afterClient.GetAsync("/api/v1/integrations/github"), HttpStatusCode.OK);
        Assert.True(view.GetProperty("secrets")[0].GetProperty("usable").GetBoolean());
    }

    private async Task<WebApplicationFactory<Program>> AppAsync(Dictionary<string, string> keys, string active)
    {
        var settings = new Dictionary<string, string?>(storage)
        {
            ["Missions:AllowedLocalTargets:0"] = receiver.Target,
            ["Missions:DeliveryTimeout"] = "00:00:05",
            ["Missions:ActiveSecretKeyId"] = active,
        };
        foreach (var (id, key) in keys)
        {
            settings[$"Missions:SecretKeys:{id}"] = key;
        }

        var factory = new ApiFactory(await Azurite.Shared, settings, localScheduler: false);
        return factory.WithWebHostBuilder(b => b.ConfigureLogging(l =>
        {
            l.AddProvider(logs);
            l.AddFilter<LogCapture>(null, LogLevel.Trace);
        }));
    }

    private static HttpClient Client(WebApplicationFactory<Program> app, string user, ResponseRecorder? recorder = null)
    {
        var client = recorder is null ? app.CreateClient() : app.CreateDefaultClient(recorder);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.TokenFor(user));
        return client;
    }

    private object Mission(string authorization) => new
    {
        name = "with a secret",
        intervalSeconds = 3600,
        url = receiver.Url("/echo"),
        headers = new Dictionary<string, string> { ["Authorization"] = authorization },
    };

    private async Task<string> CreateMissionAsync(HttpClient client, string authorization)
    {
        var created = await JsonAsync(await client.PostAsJsonAsync("/api/v1/missions", Mission(authorization)), HttpStatusCode.Created);
        Assert.Equal(authorization, created.GetProperty("mission").GetProperty("headers").GetProperty("Authorization").GetString());
        return created.GetProperty("mission").GetProperty("id").GetString()!;
    }

    private static TableClient Users(WebApplicationFactory<Program> app) => app.Services.GetRequiredService<AppTables>().Users;

    private static async Task<string> CipherAsync(WebApplicationFactory<Program> app, string user)
    {
        var row = await Users(app).FindAsync(UserPartition.For(user).Key, UserRowKeys.ForIntegration("github"));
        return JsonDocument.Parse(row!.GetString("Secret00")!).RootElement.GetProperty("cipher").GetString()!;
    }

    private static List<(string Name, string Mask, string? Last4)> Secrets(JsonElement view) =>
        view.GetProperty("secrets").EnumerateArray()
            .Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("mask").GetString()!, s.GetProperty("last4").GetString()))
            .ToList();

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>Every response body a client received.</summary>
    private sealed class ResponseRecorder : DelegatingHandler
    {
        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            lock (Bodies)
            {
                Bodies.Add(System.Text.Encoding.UTF8.GetString(bytes) + "\n" + response.Headers + response.Content.Headers);
            }

            var copy = new ByteArrayContent(bytes);
            foreach (var header in response.Content.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = copy;
            return response;
        }
    }
}
