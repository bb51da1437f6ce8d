using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Artifacts;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class OwnershipApiTests : ConversationTestBase
{
    [Fact]
    public async Task AnotherUser_Gets404OnEveryRouteAndVerb_AndTheOwnersDataIsUnchanged()
    {
        var thread = await CreateThreadAsync(Alice, new { id = "shared-name", title = "mine" });
        await AppendAsync(Alice, thread, "one", id: "c1");
        await AppendAsync(Alice, thread, "two");
        var fork = (await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/fork", new { atSequence = 1 }), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await Alice.PutAsJsonAsync($"/api/v1/threads/{thread}/summary", new { text = "s", coversSequence = 2 });
        var before = await SnapshotAsync(thread, fork);

        foreach (var id in new[] { thread, fork })
        {
            var attempts = new Func<Task<HttpResponseMessage>>[]
            {
                () => Bob.GetAsync($"/api/v1/threads/{id}"),
                () => Bob.PatchAsJsonAsync($"/api/v1/threads/{id}", new { title = "stolen" }),
                () => Bob.DeleteAsync($"/api/v1/threads/{id}"),
                () => Bob.PostAsync($"/api/v1/threads/{id}/restore", null),
                () => Bob.PostAsJsonAsync($"/api/v1/threads/{id}/fork", new { atSequence = 1 }),
                () => Bob.GetAsync($"/api/v1/threads/{id}/summary"),
                () => Bob.PutAsJsonAsync($"/api/v1/threads/{id}/summary", new { text = "x", coversSequence = 0 }),
                () => Bob.PostAsJsonAsync($"/api/v1/threads/{id}/messages", new { role = "user", content = "x", id = "c1" }),
                () => Bob.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages = new[] { new { role = "user", content = "x" } } }),
                () => Bob.GetAsync($"/api/v1/threads/{id}/messages"),
                () => Bob.GetAsync($"/api/v1/threads/{id}/messages?order=desc"),
                () => Bob.GetAsync($"/api/v1/threads/{id}/messages/1"),
                () => Bob.DeleteAsync($"/api/v1/threads/{id}/messages/1"),
                () => Bob.DeleteAsync($"/api/v1/threads/{id}/messages/2"),
                () => Bob.PostAsync($"/api/v1/threads/{id}/messages/1/redact", null),
                () => Bob.PostAsync($"/api/v1/threads/{id}/messages/2/redact", null),
                () => Bob.GetAsync($"/api/v1/threads/{id}/transcript"),
            };
            foreach (var attempt in attempts)
            {
                await ProblemAssert.IsProblemAsync(await attempt(), HttpStatusCode.NotFound, "not_found");
            }
        }

        Assert.Equal(0, (await JsonOf(await Bob.GetAsync("/api/v1/threads?archived=any"), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        Assert.Equal(0, (await JsonOf(await Bob.GetAsync("/api/v1/threads?deleted=true"), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        Assert.Equal(before, await SnapshotAsync(thread, fork));

        // The same thread id is free in Bob's own space.
        Assert.Equal("shared-name", await CreateThreadAsync(Bob, new { id = "shared-name" }));
        Assert.Equal(before, await SnapshotAsync(thread, fork));
    }

    /// <summary>
    /// Artifacts, autosave slots and integrations: Bob naming Alice's ids gets 404 on every route that names one (a write
    /// conditioned on Alice's ETag is 412, since the name is free in Bob's space), finds nothing in lists, and Alice's
    /// data is as it was, content included.
    /// </summary>
    [Fact]
    public async Task AnotherUser_Gets404OnEveryArtifactAutosaveAndIntegrationRoute_AndTheOwnersDataIsUnchanged()
    {
        var upload = await Alice.SendAsync(ArtifactApiTests.Upload("snapshot", "state.json", "application/json", """{"open":["t1"]}"""u8.ToArray(), parent: "thread:t1"));
        var artifact = (await JsonOf(upload, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var artifactTag = upload.Headers.ETag!.ToString();
        var slot = await Alice.PutAsJsonAsync("/api/v1/autosave/panel", new { state = new { view = "chat" } });
        var integration = await Alice.PutAsJsonAsync("/api/v1/integrations/github", new { config = new { org = "acme" }, secrets = new { token = "ghp_owner0123456789" } });
        Assert.Equal(HttpStatusCode.OK, slot.StatusCode);
        Assert.Equal(HttpStatusCode.OK, integration.StatusCode);
        var before = await OthersSnapshotAsync(artifact);

        var notFound = new Func<Task<HttpResponseMessage>>[]
        {
            () => Bob.GetAsync($"/api/v1/artifacts/{artifact}"),
            () => Bob.PatchAsJsonAsync($"/api/v1/artifacts/{artifact}", new { name = "stolen", starred = true }),
            () => Bob.SendAsync(WithHeader(HttpMethod.Patch, $"/api/v1/artifacts/{artifact}", "If-Match", artifactTag, JsonContent.Create(new { name = "stolen" }))),
            () => Bob.DeleteAsync($"/api/v1/artifacts/{artifact}"),
            () => Bob.SendAsync(WithHeader(HttpMethod.Delete, $"/api/v1/artifacts/{artifact}", "If-Match", artifactTag)),
            () => Bob.GetAsync($"/api/v1/artifacts/{artifact}/content"),
            () => Bob.SendAsync(WithHeader(HttpMethod.Get, $"/api/v1/artifacts/{artifact}/content", "Range", "bytes=0-3")),
            () => Bob.SendAsync(WithHeader(HttpMethod.Get, $"/api/v1/artifacts/{artifact}/content", "If-None-Match", "*")),
            () => Bob.GetAsync("/api/v1/autosave/panel"),
            () => Bob.DeleteAsync("/api/v1/autosave/panel"),
            () => Bob.GetAsync("/api/v1/integrations/github"),
            () => Bob.DeleteAsync("/api/v1/integrations/github"),
        };
        foreach (var attempt in notFound)
        {
            await ProblemAssert.IsProblemAsync(await attempt(), HttpStatusCode.NotFound, "not_found");
        }

        var conditionalWrites = new Func<Task<HttpResponseMessage>>[]
        {
            () => Bob.SendAsync(WithHeader(HttpMethod.Put, "/api/v1/autosave/panel", "If-Match", slot.Headers.ETag!.ToString(), JsonContent.Create(new { state = new { view = "stolen" } }))),
            () => Bob.SendAsync(WithHeader(HttpMethod.Put, "/api/v1/integrations/github", "If-Match", integration.Headers.ETag!.ToString(), JsonContent.Create(new { config = new { org = "bob" } }))),
        };
        foreach (var attempt in conditionalWrites)
        {
            await ProblemAssert.IsProblemAsync(await attempt(), HttpStatusCode.PreconditionFailed, "precondition_failed");
        }

        foreach (var list in new[] { "/api/v1/artifacts", "/api/v1/artifacts?kind=snapshot", "/api/v1/artifacts?parent=thread:t1", "/api/v1/integrations" })
        {
            Assert.Equal(0, (await JsonOf(await Bob.GetAsync(list), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        }

        Assert.Equal(before, await OthersSnapshotAsync(artifact));
    }

    private static HttpRequestMessage WithHeader(HttpMethod method, string url, string name, string value, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    /// <summary>Alice's artifact (metadata and content), slot and integration as she reads them, without the read times.</summary>
    private async Task<string> OthersSnapshotAsync(string artifact)
    {
        var slot = JsonDocument.Parse(await Alice.GetStringAsync("/api/v1/autosave/panel")).RootElement;
        return string.Join('\n',
            await Alice.GetStringAsync($"/api/v1/artifacts/{artifact}"),
            await Alice.GetStringAsync($"/api/v1/artifacts/{artifact}/content"),
            slot.GetProperty("state").GetRawText() + slot.GetProperty("savedAt").GetRawText(),
            await Alice.GetStringAsync("/api/v1/integrations/github"));
    }

    private async Task<string> SnapshotAsync(params string[] ids)
    {
        var parts = new List<string>();
        foreach (var id in ids)
        {
            parts.Add(await Alice.GetStringAsync($"/api/v1/threads/{id}"));
            parts.Add(await Alice.GetStringAsync($"/api/v1/threads/{id}/transcript"));
        }

        parts.Add(await Alice.GetStringAsync($"/api/v1/threads/{ids[0]}/summary"));
        parts.Add(await Alice.GetStringAsync("/api/v1/threads?archived=any"));
        return string.Join('\n', parts);
    }
}
