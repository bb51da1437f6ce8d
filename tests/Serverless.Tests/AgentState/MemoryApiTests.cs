using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Conversations;
using Serverless.Tests.Testing;

namespace Serverless.Tests.AgentState;

public sealed class MemoryApiTests : ConversationTestBase
{
    [Fact]
    public async Task Put_Get_Replace_Delete_WithETags()
    {
        var created = await Alice.PutAsJsonAsync("/api/v1/memories/user/prefs.ui/theme", new { value = "dark", tags = new[] { "ui" }, source = new { threadId = "t1", messageSequence = 3 } });
        var first = await JsonOf(created, HttpStatusCode.Created);
        var etag = created.Headers.ETag!;
        Assert.Equal("dark", first.GetProperty("value").GetString());
        Assert.Equal("prefs.ui", first.GetProperty("namespace").GetString());
        Assert.Equal(3, first.GetProperty("source").GetProperty("messageSequence").GetInt64());

        var stale = new HttpRequestMessage(HttpMethod.Put, "/api/v1/memories/user/prefs.ui/theme") { Content = JsonContent.Create(new { value = new { mode = "light" } }) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"nope\""));
        await ProblemAssert.IsProblemAsync(await Alice.SendAsync(stale), HttpStatusCode.PreconditionFailed, "precondition_failed");

        var replace = new HttpRequestMessage(HttpMethod.Put, "/api/v1/memories/user/prefs.ui/theme") { Content = JsonContent.Create(new { value = new { mode = "light" } }) };
        replace.Headers.IfMatch.Add(etag);
        var replaced = await JsonOf(await Alice.SendAsync(replace), HttpStatusCode.OK);
        Assert.Equal("light", replaced.GetProperty("value").GetProperty("mode").GetString());
        Assert.Equal(first.GetProperty("createdAt").GetString(), replaced.GetProperty("createdAt").GetString());

        var createOnly = new HttpRequestMessage(HttpMethod.Put, "/api/v1/memories/user/prefs.ui/theme") { Content = JsonContent.Create(new { value = 1 }) };
        createOnly.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
        await ProblemAssert.IsProblemAsync(await Alice.SendAsync(createOnly), HttpStatusCode.PreconditionFailed, "precondition_failed");

        Assert.Equal("light", (await JsonOf(await Alice.GetAsync("/api/v1/memories/user/prefs.ui/theme"), HttpStatusCode.OK)).GetProperty("value").GetProperty("mode").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync("/api/v1/memories/user/prefs.ui/theme")).StatusCode);
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/memories/user/prefs.ui/theme"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.DeleteAsync("/api/v1/memories/user/prefs.ui/theme"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task List_ByScopeAndNamespacePrefix_AndSearchByWords_FollowCursors()
    {
        await Put("user", "prefs", "a", "alpha one");
        await Put("user", "prefs.ui", "b", "beta two");
        await Put("user", "prefsx", "c", "gamma one");
        await Put("space:s1", "prefs", "d", "delta one");
        await Put("app:halo", "notes", "e", "epsilon");

        // Key order: namespace path, where a namespace's sub-namespaces ('.' then more) sort before its own keys ('.|').
        Assert.Equal(["b", "a"], await Keys("/api/v1/memories/user?namespace=prefs&limit=1"));
        Assert.Equal(["b"], await Keys("/api/v1/memories/user?namespace=prefs.ui"));
        Assert.Equal(["b", "a", "c"], await Keys("/api/v1/memories/user"));
        Assert.Equal(["d"], await Keys("/api/v1/memories/space:s1"));

        // Search: every word must be held (key, tags or value), within the scope and namespace prefix.
        Assert.Equal(["a", "c"], await Keys("/api/v1/memories/user?q=one&limit=1"));
        Assert.Equal(["a"], await Keys("/api/v1/memories/user?q=ONE%20alpha"));
        Assert.Equal(["a"], await Keys("/api/v1/memories/user?q=one&namespace=prefs"));
        Assert.Empty(await Keys("/api/v1/memories/user?q=epsilon"));

        // Changing a memory moves its words: the old ones no longer find it.
        await Put("user", "prefs", "a", "zeta");
        Assert.Equal(["c"], await Keys("/api/v1/memories/user?q=one"));
        Assert.Equal(["a"], await Keys("/api/v1/memories/user?q=zeta"));
    }

    [Fact]
    public async Task Create_GeneratesKeys_HonoursIdempotencyKeys_AndRefusesTakenKeys()
    {
        async Task<HttpResponseMessage> Post(string key, object body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/memories/user/facts") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", key);
            return await Alice.SendAsync(request);
        }

        var first = await Post("k1", new { value = "likes tea" });
        var body = await JsonOf(first, HttpStatusCode.Created);
        var replay = await Post("k1", new { value = "likes tea" });
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(body.GetRawText(), (await JsonOf(replay, HttpStatusCode.Created)).GetRawText());
        await ProblemAssert.IsProblemAsync(await Post("k1", new { value = "other" }), HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        Assert.Single(await Keys("/api/v1/memories/user?namespace=facts"));

        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/memories/user/facts", new { key = "named", value = 1 }), HttpStatusCode.Created);
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/memories/user/facts", new { key = "named", value = 2 }), HttpStatusCode.Conflict, "conflict");
    }

    [Fact]
    public async Task BadInput_Is400_AndWritesNothing()
    {
        await ProblemAssert.IsProblemAsync(await Alice.PutAsJsonAsync("/api/v1/memories/team/ns/k", new { value = 1 }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PutAsJsonAsync("/api/v1/memories/user/a..b/k", new { value = 1 }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PutAsJsonAsync("/api/v1/memories/user/ns/k", new { tags = new[] { "x" } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PutAsJsonAsync("/api/v1/memories/user/ns/k", new { value = new string('x', 40_000) }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/memories/user?q=a"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/memories/user?cursor=forged"), HttpStatusCode.BadRequest, "invalid_cursor");
        Assert.Empty(await Keys("/api/v1/memories/user"));
    }

    private async Task Put(string scope, string ns, string key, string value) =>
        Assert.True((await Alice.PutAsJsonAsync($"/api/v1/memories/{scope}/{ns}/{key}", new { value })).IsSuccessStatusCode);

    private async Task<List<string>> Keys(string url)
    {
        var keys = new List<string>();
        string? cursor = null;
        do
        {
            var page = await JsonOf(await Alice.GetAsync(url + (cursor is null ? string.Empty : (url.Contains('?') ? "&" : "?") + "cursor=" + Uri.EscapeDataString(cursor))), HttpStatusCode.OK);
            keys.AddRange(page.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("key").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return keys;
    }
}
