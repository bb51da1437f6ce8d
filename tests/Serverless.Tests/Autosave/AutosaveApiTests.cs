using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Autosave;

/// <summary><c>/api/v1/autosave/{slot}</c> through the local server: save, read back with its time, expiry, conditions, limits, another user.</summary>
public sealed class AutosaveApiTests : IAsyncLifetime
{
    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    private ApiFactory factory = null!;
    private WebApplicationFactory<Program> app = null!;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Autosave:Expiry"] = "00:10:00",
            ["Storage:ExpiryTable"] = Azurite.UniqueName("xe"),
            ["Storage:LifecycleTable"] = Azurite.UniqueName("xl"),
        });
        app = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await factory.DisposeAsync();
    }

    [Fact]
    public async Task ASave_ReplacesTheState_AndReadsBackWithItsTime_UntilItExpires()
    {
        using var client = Client("alice");
        var saved = await client.PutAsJsonAsync("/api/v1/autosave/sidepanel", new { view = "chat", draft = "hello", scroll = 10 });
        clock.Now += TimeSpan.FromSeconds(5);
        var replaced = await client.PutAsJsonAsync("/api/v1/autosave/sidepanel", new { view = "settings" });
        var read = await client.GetAsync("/api/v1/autosave/sidepanel");

        var first = await JsonAsync(saved, HttpStatusCode.OK);
        var second = await JsonAsync(replaced, HttpStatusCode.OK);
        var latest = await JsonAsync(read, HttpStatusCode.OK);
        Assert.Equal("sidepanel", first.GetProperty("slot").GetString());
        Assert.Equal(first.GetProperty("savedAt").GetDateTimeOffset().AddMinutes(10), first.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal("""{"view":"settings"}""", latest.GetProperty("state").GetRawText());
        Assert.Equal(second.GetProperty("savedAt").GetDateTimeOffset(), latest.GetProperty("savedAt").GetDateTimeOffset());
        Assert.Equal(replaced.Headers.ETag, read.Headers.ETag);
        Assert.NotEqual(saved.Headers.ETag, replaced.Headers.ETag);

        clock.Now += TimeSpan.FromMinutes(11);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/autosave/sidepanel"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Conditions_AreHonoured_AndDeleteClearsTheSlot()
    {
        using var client = Client("alice-cond");
        var created = await Send(client, HttpMethod.Put, "/api/v1/autosave/s1", """{"n":1}""", ("If-None-Match", "*"));
        var again = await Send(client, HttpMethod.Put, "/api/v1/autosave/s1", """{"n":2}""", ("If-None-Match", "*"));
        var matched = await Send(client, HttpMethod.Put, "/api/v1/autosave/s1", """{"n":3}""", ("If-Match", created.Headers.ETag!.ToString()));
        var stale = await Send(client, HttpMethod.Put, "/api/v1/autosave/s1", """{"n":4}""", ("If-Match", created.Headers.ETag!.ToString()));
        var staleDelete = await Send(client, HttpMethod.Delete, "/api/v1/autosave/s1", null, ("If-Match", created.Headers.ETag!.ToString()));
        var deleted = await client.DeleteAsync("/api/v1/autosave/s1");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(HttpStatusCode.OK, matched.StatusCode);
        await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.PreconditionFailed, "precondition_failed");
        await ProblemAssert.IsProblemAsync(staleDelete, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/autosave/s1"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync("/api/v1/autosave/s1"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task BadRequests_Are4xx_AndWriteNothing()
    {
        using var client = Client("alice-bad");

        await ProblemAssert.IsProblemAsync(await Send(client, HttpMethod.Put, "/api/v1/autosave/s1", "not json"), HttpStatusCode.BadRequest, "malformed_json");
        await ProblemAssert.IsProblemAsync(await Send(client, HttpMethod.Put, "/api/v1/autosave/s1", "null"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Send(client, HttpMethod.Put, "/api/v1/autosave/bad%20slot", "{}"), HttpStatusCode.BadRequest, "validation_failed");
        var tooLarge = "\"" + new string('x', (1024 * 1024) - 1) + "\"";
        await ProblemAssert.IsProblemAsync(await Send(client, HttpMethod.Put, "/api/v1/autosave/s1", tooLarge), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        var plain = new HttpRequestMessage(HttpMethod.Put, "/api/v1/autosave/s1") { Content = new StringContent("{}", Encoding.UTF8, "text/plain") };
        await ProblemAssert.IsProblemAsync(await client.SendAsync(plain), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/autosave/s1"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AnotherUsersSlot_Is404_AndStaysUnchanged()
    {
        using var alice = Client("slot-alice");
        using var bob = Client("slot-bob");
        var saved = await alice.PutAsJsonAsync("/api/v1/autosave/shared-name", new { mine = true });

        await ProblemAssert.IsProblemAsync(await bob.GetAsync("/api/v1/autosave/shared-name"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.DeleteAsync("/api/v1/autosave/shared-name"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Send(bob, HttpMethod.Put, "/api/v1/autosave/shared-name", "{}", ("If-Match", saved.Headers.ETag!.ToString())), HttpStatusCode.PreconditionFailed, "precondition_failed");

        var read = await JsonAsync(await alice.GetAsync("/api/v1/autosave/shared-name"), HttpStatusCode.OK);
        Assert.True(read.GetProperty("state").GetProperty("mine").GetBoolean());
    }

    private HttpClient Client(string user)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiFactory.TokenFor(user));
        return client;
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string? json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return client.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }
}
