using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Missions;

public sealed class MissionsApiTests : IAsyncLifetime
{
    private ApiFactory factory = null!;
    private HttpClient alice = null!;
    private HttpClient bob = null!;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Missions:MaxMissionsPerUser"] = "3",
            ["Missions:AllowedLocalTargets:0"] = "localhost:5055",
        }, localScheduler: false);
        alice = factory.ClientFor("alice");
        bob = factory.ClientFor("bob");
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private static object Valid(string name = "daily report", string url = "https://example.com/hook") => new
    {
        name,
        cron = "0 9 * * 1-5",
        timeZone = "Europe/Berlin",
        url,
        headers = new Dictionary<string, string> { ["X-Team"] = "core" },
        payload = new { report = "daily", n = 3 },
    };

    private static async Task<(string Id, string Secret, JsonElement Mission, HttpResponseMessage Response)> CreateAsync(HttpClient client, object? body = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/missions", body ?? Valid());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var mission = json.GetProperty("mission");
        return (mission.GetProperty("id").GetString()!, json.GetProperty("secret").GetString()!, mission.Clone(), response);
    }

    private static HttpRequestMessage CreateWithKey(string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/missions") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private static async Task<string[]> MissionIdsAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/api/v1/missions")).RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray();

    [Fact]
    public async Task Create_WithTheSameIdempotencyKeyAndBody_ReplaysTheFirstAnswer_SecretIncluded()
    {
        var first = await alice.SendAsync(CreateWithKey("create-1", Valid()));
        var replay = await alice.SendAsync(CreateWithKey("create-1", Valid()));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
        var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        var b = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(a.GetProperty("mission").GetProperty("id").GetString(), b.GetProperty("mission").GetProperty("id").GetString());
        Assert.StartsWith("whsec_", a.GetProperty("secret").GetString(), StringComparison.Ordinal);
        Assert.Equal(a.GetProperty("secret").GetString(), b.GetProperty("secret").GetString());
        Assert.Single(await MissionIdsAsync(alice));
    }

    [Fact]
    public async Task Create_IdempotencyRecord_KeepsTheSecretEncrypted()
    {
        var first = await alice.SendAsync(CreateWithKey("stored-1", Valid()));
        var secret = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;

        var azurite = await Azurite.Shared;
        var partition = Serverless.Storage.Users.UserPartition.For("alice").Key;
        var rows = new List<string>();
        await foreach (var row in azurite.Table(factory.UserTable).QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == partition))
        {
            rows.Add(string.Join(" ", row.Select(p => $"{p.Key}={p.Value}")));
        }

        Assert.Contains(rows, r => r.Contains("idem|", StringComparison.Ordinal));
        var base64 = secret["whsec_".Length..];
        Assert.All(rows, r => Assert.DoesNotContain(base64, r, StringComparison.Ordinal));
        Assert.All(rows, r => Assert.DoesNotContain(Convert.ToHexString(Convert.FromBase64String(base64)), r, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Create_WithTheSameIdempotencyKeyAndAnotherBody_Is422_AndCreatesNothingMore()
    {
        await alice.SendAsync(CreateWithKey("create-2", Valid("first")));

        var other = await alice.SendAsync(CreateWithKey("create-2", Valid("second")));

        await ProblemAssert.IsProblemAsync(other, HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        Assert.Single(await MissionIdsAsync(alice));
    }

    [Fact]
    public async Task Create_WithAnotherUsersIdempotencyKey_IsAFreshMission()
    {
        var alices = await alice.SendAsync(CreateWithKey("shared", Valid()));
        var bobs = await bob.SendAsync(CreateWithKey("shared", Valid()));

        Assert.Equal(HttpStatusCode.Created, bobs.StatusCode);
        Assert.False(bobs.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(alices.Headers.Location, bobs.Headers.Location);
        Assert.Single(await MissionIdsAsync(bob));
    }

    [Fact]
    public async Task Create_TwentyConcurrentRetriesWithOneKey_MakeOneMission()
    {
        var carol = factory.ClientFor("carol");
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => carol.SendAsync(CreateWithKey("race", Valid()))));

        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("mission").GetProperty("id").GetString()).Distinct().ToArray();
        var secrets = bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("secret").GetString()).Distinct().ToArray();
        Assert.Single(ids);
        Assert.Single(secrets);
        Assert.Equal(ids, await MissionIdsAsync(carol));
    }

    [Fact]
    public async Task Create_ReturnsSecretOnce_AndGetNeverShowsIt()
    {
        var (id, secret, mission, response) = await CreateAsync(alice);

        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal($"/api/v1/missions/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal("daily report", mission.GetProperty("name").GetString());
        Assert.Equal("skip", mission.GetProperty("missedRunPolicy").GetString());
        Assert.True(mission.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, mission.GetProperty("runCount").GetInt64());
        var next = mission.GetProperty("nextRunAt").GetDateTimeOffset();
        Assert.True(next > DateTimeOffset.UtcNow);
        var local = TimeZoneInfo.ConvertTime(next, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        Assert.Equal(9, local.Hour);

        var get = await alice.GetAsync($"/api/v1/missions/{id}");
        var text = await get.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.DoesNotContain("whsec_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(response.Headers.ETag, get.Headers.ETag);
    }

    [Fact]
    public async Task Put_WithStaleIfMatch_Is412_WithCurrent_Succeeds()
    {
        var (id, _, _, created) = await CreateAsync(alice);
        var update = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/missions/{id}") { Content = JsonContent.Create(new { name = "renamed", intervalSeconds = 3600, url = "https://example.com/h2", enabled = false }) };
        update.Headers.IfMatch.Add(created.Headers.ETag!);
        var ok = await alice.SendAsync(update);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("renamed", body.GetProperty("name").GetString());
        Assert.Equal(3600, body.GetProperty("intervalSeconds").GetInt64());
        Assert.False(body.GetProperty("enabled").GetBoolean());

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/missions/{id}") { Content = JsonContent.Create(Valid("again")) };
        stale.Headers.IfMatch.Add(created.Headers.ETag!);
        await ProblemAssert.IsProblemAsync(await alice.SendAsync(stale), HttpStatusCode.PreconditionFailed, "precondition_failed");

        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/missions/{id}");
        delete.Headers.IfMatch.Add(created.Headers.ETag!);
        await ProblemAssert.IsProblemAsync(await alice.SendAsync(delete), HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/v1/missions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/v1/missions/{id}")).StatusCode);
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"cron":"* * * * *","url":"https://example.com"}""", "name" },
        { """{"name":"x","url":"https://example.com"}""", "schedule" },
        { """{"name":"x","cron":"* * * * *","intervalSeconds":60,"url":"https://example.com"}""", "schedule" },
        { """{"name":"x","cron":"bad cron","url":"https://example.com"}""", "cron" },
        { """{"name":"x","cron":"*/10 * * * * *","url":"https://example.com"}""", "cron" },
        { """{"name":"x","intervalSeconds":30,"url":"https://example.com"}""", "intervalSeconds" },
        { """{"name":"x","cron":"* * * * *","timeZone":"Nowhere/Land","url":"https://example.com"}""", "timeZone" },
        { """{"name":"x","cron":"* * * * *","url":"http://example.com"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"ftp://example.com"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"https://user:pw@example.com"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"https://127.0.0.1/"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"https://169.254.169.254/latest"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"https://[::1]/"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"https://localhost/"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"not a url"}""", "url" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","headers":{"Host":"evil"}}""", "headers" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","headers":{"content-length":"1"}}""", "headers" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","headers":{"webhook-id":"forged"}}""", "headers" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","headers":{"bad name":"v"}}""", "headers" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","headers":{"X-A":"line\r\nbreak"}}""", "headers" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","missedRunPolicy":"sometimes"}""", "missedRunPolicy" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","missedRunPolicy":"catchUp","maxCatchUp":1000}""", "maxCatchUp" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","startAt":"2030-01-02T00:00:00Z","endAt":"2030-01-01T00:00:00Z"}""", "endAt" },
        { """{"name":"x","cron":"* * * * *","url":"https://example.com","startAt":"9999-12-31T23:59:59Z"}""", "startAt" },
        { """{"name":"x","intervalSeconds":60,"url":"https://example.com","endAt":"0001-01-01T00:00:00Z"}""", "endAt" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Create_Invalid_Is400NamingTheField(string json, string field)
    {
        var response = await alice.PostAsync("/api/v1/missions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
    }

    [Fact]
    public async Task Create_PayloadTooLarge_Is400()
    {
        var response = await alice.PostAsJsonAsync("/api/v1/missions", new { name = "x", cron = "* * * * *", url = "https://example.com", payload = new string('a', 9000) });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Create_HttpToAllowListedLocalTarget_IsAccepted()
    {
        await CreateAsync(alice, new { name = "local", cron = "* * * * *", url = "http://localhost:5055/hook" });
    }

    [Fact]
    public async Task Create_WithLoopbackTargetsAllowed_AcceptsLoopbackOnAnyPort_AndStillRefusesOtherLocalAddresses()
    {
        // As scripts/run starts the app.
        await using var local = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?> { ["Missions:AllowLoopbackTargets"] = "true" }, localScheduler: false);
        var dev = local.ClientFor("dev");

        foreach (var url in new[] { "http://localhost:4321/hook", "http://127.0.0.1:9/x", "https://[::1]:8443/", "https://localhost/" })
        {
            var response = await dev.PostAsJsonAsync("/api/v1/missions", new { name = "local", cron = "* * * * *", url });
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{url}: {await response.Content.ReadAsStringAsync()}");
        }

        foreach (var url in new[] { "http://10.0.0.1/hook", "https://169.254.169.254/latest", "http://example.com/hook", "https://192.168.1.1/" })
        {
            var response = await dev.PostAsJsonAsync("/api/v1/missions", new { name = "local", cron = "* * * * *", url });
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        }

        // Off (the default, as in Azure): loopback on a port nobody allow-listed is refused.
        await ProblemAssert.IsProblemAsync(await alice.PostAsJsonAsync("/api/v1/missions", new { name = "local", cron = "* * * * *", url = "http://localhost:4321/hook" }), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Quota_ThirdIsTheLast()
    {
        var carol = factory.ClientFor("carol");
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync(carol);
        }

        await ProblemAssert.IsProblemAsync(await carol.PostAsJsonAsync("/api/v1/missions", Valid()), HttpStatusCode.Conflict, "conflict");
        var list = JsonDocument.Parse(await carol.GetStringAsync("/api/v1/missions?limit=2")).RootElement;
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());
        var cursor = list.GetProperty("nextCursor").GetString();
        var rest = JsonDocument.Parse(await carol.GetStringAsync($"/api/v1/missions?limit=2&cursor={Uri.EscapeDataString(cursor!)}")).RootElement;
        Assert.Equal(1, rest.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task RotateSecret_ReturnsANewSecretOnce()
    {
        var (id, secret, _, _) = await CreateAsync(alice);

        var response = await alice.PostAsync($"/api/v1/missions/{id}/rotate-secret", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString();
        Assert.StartsWith("whsec_", rotated, StringComparison.Ordinal);
        Assert.NotEqual(secret, rotated);
    }

    [Fact]
    public async Task AnotherUsersMission_Is404OnEveryRouteAndVerb()
    {
        var (id, _, _, _) = await CreateAsync(alice);

        await ProblemAssert.IsProblemAsync(await bob.GetAsync($"/api/v1/missions/{id}"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.PutAsJsonAsync($"/api/v1/missions/{id}", Valid("hijack")), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.DeleteAsync($"/api/v1/missions/{id}"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.PostAsync($"/api/v1/missions/{id}/rotate-secret", null), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.PostAsync($"/api/v1/missions/{id}/run", null), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.GetAsync($"/api/v1/missions/{id}/runs"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.GetAsync($"/api/v1/missions/{id}/runs/2518448339779199999-0123456789abcdef0123456789abcdef/response"), HttpStatusCode.NotFound, "not_found");
        var bobs = JsonDocument.Parse(await bob.GetStringAsync("/api/v1/missions")).RootElement;
        Assert.Equal(0, bobs.GetProperty("data").GetArrayLength());

        var still = JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}")).RootElement;
        Assert.Equal("daily report", still.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/v1/missions/no%20such")]
    [InlineData("GET", "/api/v1/missions/0123456789abcdef0123456789abcdef")]
    [InlineData("DELETE", "/api/v1/missions/0123456789abcdef0123456789abcdef")]
    [InlineData("POST", "/api/v1/missions/0123456789abcdef0123456789abcdef/run")]
    [InlineData("GET", "/api/v1/missions/0123456789abcdef0123456789abcdef/runs/2518448339779199999-0123456789abcdef0123456789abcdef/response")]
    public async Task UnknownIds_Are404(string method, string path)
    {
        var response = await alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }
}
