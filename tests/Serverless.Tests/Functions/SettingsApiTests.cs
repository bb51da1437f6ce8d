using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

public sealed class SettingsApiTests : IAsyncLifetime
{
    private ApiFactory factory = null!;
    private HttpClient alice = null!;
    private HttpClient bob = null!;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared);
        alice = factory.ClientFor("alice");
        bob = factory.ClientFor("bob");
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task Put_ThenGet_ReturnsTheValueWithAnETag()
    {
        var put = await alice.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = new { mode = "dark", accent = "#ff00aa", sizes = new[] { 1, 2 } } });
        var get = await alice.GetAsync("/api/v1/settings/ui/theme");

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal("/api/v1/settings/ui/theme", put.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(put.Headers.ETag, get.Headers.ETag);
        var body = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ui", body.GetProperty("namespace").GetString());
        Assert.Equal("theme", body.GetProperty("key").GetString());
        Assert.Equal("dark", body.GetProperty("value").GetProperty("mode").GetString());
        Assert.Equal(2, body.GetProperty("value").GetProperty("sizes").GetArrayLength());
        Assert.EndsWith("Z", body.GetProperty("updatedAt").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"text with ünïcödé\"")]
    [InlineData("42.5")]
    [InlineData("[true,false]")]
    public async Task AnyJsonValue_RoundTrips(string json)
    {
        await alice.PutAsync("/api/v1/settings/any/v", Json($"{{\"value\":{json}}}"));

        var body = JsonDocument.Parse(await alice.GetStringAsync("/api/v1/settings/any/v")).RootElement;

        Assert.Equal(json, body.GetProperty("value").GetRawText());
    }

    [Fact]
    public async Task Put_Creating_Is201WithLocation_Replacing_Is200()
    {
        var created = await alice.PutAsJsonAsync("/api/v1/settings/ui/density", new { value = "compact" });
        var replaced = await alice.PutAsJsonAsync("/api/v1/settings/ui/density", new { value = "cozy" });
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/ui/density") { Content = JsonContent.Create(new { value = "roomy" }) };
        request.Headers.IfMatch.Add(replaced.Headers.ETag!);
        var conditional = await alice.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/settings/ui/density", created.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Null(replaced.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, conditional.StatusCode);
        Assert.Equal("roomy", JsonDocument.Parse(await alice.GetStringAsync("/api/v1/settings/ui/density")).RootElement.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Namespaces_AreListedWithCounts_PagedInOrder_AndOnlyTheUsersOwn()
    {
        foreach (var (ns, count) in new[] { ("b.editor", 3), ("a:ui", 1), ("c", 2), ("c-2", 1) })
        {
            for (var i = 0; i < count; i++)
            {
                await alice.PutAsJsonAsync($"/api/v1/settings/{ns}/k{i}", new { value = i });
            }
        }

        await bob.PutAsJsonAsync("/api/v1/settings/bobs/k", new { value = 1 });

        var seen = new List<(string, long)>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var response = await alice.GetAsync("/api/v1/settings?limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(e => (e.GetProperty("namespace").GetString()!, e.GetProperty("count").GetInt64())));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        // Key order: a name followed by its separator, so "c-2" comes before "c" ('-' sorts before '|').
        Assert.Equal([("a:ui", 1L), ("b.editor", 3L), ("c-2", 1L), ("c", 2L)], seen);
        Assert.Equal(2, pages);
        var bobs = JsonDocument.Parse(await bob.GetStringAsync("/api/v1/settings")).RootElement.GetProperty("data");
        Assert.Equal("bobs", Assert.Single(bobs.EnumerateArray()).GetProperty("namespace").GetString());
        await ProblemAssert.IsProblemAsync(await bob.GetAsync("/api/v1/settings?cursor=" + Uri.EscapeDataString(
            JsonDocument.Parse(await alice.GetStringAsync("/api/v1/settings?limit=1")).RootElement.GetProperty("nextCursor").GetString()!)), HttpStatusCode.BadRequest, "invalid_cursor");
    }

    [Fact]
    public async Task Put_WithStaleIfMatch_Is412AndKeepsTheNewerValue()
    {
        var first = await alice.PutAsJsonAsync("/api/v1/settings/ui/font", new { value = "serif" });
        await alice.PutAsJsonAsync("/api/v1/settings/ui/font", new { value = "mono" });

        var stale = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/ui/font") { Content = JsonContent.Create(new { value = "sans" }) };
        stale.Headers.IfMatch.Add(first.Headers.ETag!);
        var response = await alice.SendAsync(stale);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal("mono", JsonDocument.Parse(await alice.GetStringAsync("/api/v1/settings/ui/font")).RootElement.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Put_WithCurrentIfMatch_Succeeds()
    {
        var first = await alice.PutAsJsonAsync("/api/v1/settings/ui/size", new { value = 12 });
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/ui/size") { Content = JsonContent.Create(new { value = 14 }) };
        request.Headers.IfMatch.Add(first.Headers.ETag!);

        var response = await alice.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(first.Headers.ETag, response.Headers.ETag);
    }

    [Fact]
    public async Task Put_IfMatchStar_OnMissingSetting_Is412()
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/ui/missing") { Content = JsonContent.Create(new { value = 1 }) };
        request.Headers.TryAddWithoutValidation("If-Match", "*");

        await ProblemAssert.IsProblemAsync(await alice.SendAsync(request), HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/v1/settings/ui/missing")).StatusCode);
    }

    [Fact]
    public async Task Put_IfNoneMatchStar_CreatesOnce()
    {
        HttpRequestMessage Create() => new(HttpMethod.Put, "/api/v1/settings/ui/once")
        {
            Content = JsonContent.Create(new { value = "first" }),
            Headers = { IfNoneMatch = { EntityTagHeaderValue.Any } },
        };

        var created = await alice.SendAsync(Create());
        var again = await alice.SendAsync(Create());

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.PreconditionFailed, "precondition_failed");
    }

    [Fact]
    public async Task Delete_RemovesIt_ThenIs404()
    {
        await alice.PutAsJsonAsync("/api/v1/settings/ui/gone", new { value = true });

        var deleted = await alice.DeleteAsync("/api/v1/settings/ui/gone");
        var again = await alice.DeleteAsync("/api/v1/settings/ui/gone");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/settings/ui/gone"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Delete_WithStaleIfMatch_Is412AndKeepsIt()
    {
        var first = await alice.PutAsJsonAsync("/api/v1/settings/ui/kept", new { value = 1 });
        await alice.PutAsJsonAsync("/api/v1/settings/ui/kept", new { value = 2 });
        var request = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/settings/ui/kept");
        request.Headers.IfMatch.Add(first.Headers.ETag!);

        await ProblemAssert.IsProblemAsync(await alice.SendAsync(request), HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/v1/settings/ui/kept")).StatusCode);
    }

    [Fact]
    public async Task List_PagesThroughANamespaceInKeyOrder_AndNothingElse()
    {
        for (var i = 0; i < 7; i++)
        {
            await alice.PutAsJsonAsync($"/api/v1/settings/list/k{i}", new { value = i });
        }

        await alice.PutAsJsonAsync("/api/v1/settings/list2/other", new { value = "other namespace" });
        await alice.PutAsJsonAsync("/api/v1/settings/lis/other", new { value = "prefix namespace" });

        var keys = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = JsonDocument.Parse(await alice.GetStringAsync("/api/v1/settings/list?limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)))).RootElement;
            keys.AddRange(page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("key").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(["k0", "k1", "k2", "k3", "k4", "k5", "k6"], keys);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task List_CursorOfAnotherUserOrListOrAltered_Is400()
    {
        for (var i = 0; i < 3; i++)
        {
            await alice.PutAsJsonAsync($"/api/v1/settings/c/k{i}", new { value = i });
            await bob.PutAsJsonAsync($"/api/v1/settings/c/k{i}", new { value = i });
        }

        var page = JsonDocument.Parse(await alice.GetStringAsync("/api/v1/settings/c?limit=1")).RootElement;
        var cursor = page.GetProperty("nextCursor").GetString()!;
        var tampered = cursor[..^2] + (cursor[^2] == 'A' ? 'B' : 'A') + cursor[^1];

        await ProblemAssert.IsProblemAsync(await bob.GetAsync("/api/v1/settings/c?cursor=" + Uri.EscapeDataString(cursor)), HttpStatusCode.BadRequest, "invalid_cursor");
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/settings/other?cursor=" + Uri.EscapeDataString(cursor)), HttpStatusCode.BadRequest, "invalid_cursor");
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/settings/c?cursor=" + Uri.EscapeDataString(tampered)), HttpStatusCode.BadRequest, "invalid_cursor");
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/settings/c?cursor=garbage"), HttpStatusCode.BadRequest, "invalid_cursor");
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/v1/settings/c?cursor=" + Uri.EscapeDataString(cursor))).StatusCode);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("order=sideways")]
    [InlineData("order=desc")]
    public async Task List_BadPagingParameters_Are400(string query)
    {
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/settings/ui?" + query), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Users_NeverSeeEachOthersSettings()
    {
        await alice.PutAsJsonAsync("/api/v1/settings/private/secret", new { value = "alice's" });

        await ProblemAssert.IsProblemAsync(await bob.GetAsync("/api/v1/settings/private/secret"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.DeleteAsync("/api/v1/settings/private/secret"), HttpStatusCode.NotFound, "not_found");
        var bobsList = JsonDocument.Parse(await bob.GetStringAsync("/api/v1/settings/private")).RootElement;
        Assert.Equal(0, bobsList.GetProperty("data").GetArrayLength());
        await bob.PutAsJsonAsync("/api/v1/settings/private/secret", new { value = "bob's" });
        var alices = JsonDocument.Parse(await alice.GetStringAsync("/api/v1/settings/private/secret")).RootElement;
        Assert.Equal("alice's", alices.GetProperty("value").GetString());
    }

    [Fact]
    public async Task UserIdInQuery_IsIgnored_AndInTheBody_IsRefused()
    {
        var inBody = await alice.PutAsJsonAsync("/api/v1/settings/ns/k", new { value = 1, userId = "bob", sub = "bob" });
        await alice.PutAsJsonAsync("/api/v1/settings/ns/k?userId=bob&sub=bob", new { value = 1 });

        var refused = await ProblemAssert.IsProblemAsync(inBody, HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(refused.GetProperty("errors").TryGetProperty("userId", out _));
        await ProblemAssert.IsProblemAsync(await bob.GetAsync("/api/v1/settings/ns/k"), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/v1/settings/ns/k")).StatusCode);
    }

    [Fact]
    public async Task UserIdsThatAreNotLegalKeys_StillGetTheirOwnPartition()
    {
        var odd = factory.ClientFor("auth0|a/b#c?d%e'f");
        var similar = factory.ClientFor("auth0|a/b#c?d%e'g");

        await odd.PutAsJsonAsync("/api/v1/settings/ns/k", new { value = "odd" });

        Assert.Equal(HttpStatusCode.OK, (await odd.GetAsync("/api/v1/settings/ns/k")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await similar.GetAsync("/api/v1/settings/ns/k")).StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/settings/bad%20ns/k")]
    [InlineData("/api/v1/settings/ns/" + "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk")]
    [InlineData("/api/v1/settings/ns/k'%20or%20PartitionKey%20ne%20'")]
    public async Task InvalidNamesOrKeys_Are400AndWriteNothing(string path)
    {
        var response = await alice.PutAsJsonAsync(path, new { value = 1 });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task MissingValue_Is400()
    {
        await ProblemAssert.IsProblemAsync(await alice.PutAsync("/api/v1/settings/ns/k", Json("{}")), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task OversizedValue_Is400AndWritesNothing()
    {
        var response = await alice.PutAsJsonAsync("/api/v1/settings/ns/huge", new { value = new string('x', 40_000) });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("value", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/v1/settings/ns/huge")).StatusCode);
    }

    [Fact]
    public async Task WithoutAToken_Is401ProblemJson()
    {
        var anonymous = factory.CreateClient();

        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/api/v1/settings/ui/theme"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task StoredRow_LivesInTheUsersPartition()
    {
        await alice.PutAsJsonAsync("/api/v1/settings/ui/where", new { value = 1 });
        var table = (await Azurite.Shared).Table(factory.UserTable);

        var row = await table.FindAsync(KeyEncoding.EncodeKey("alice"), KeyEncoding.Compose("setting", "ui", "where"));

        Assert.NotNull(row);
        Assert.Equal("1", row.GetString("Value"));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
