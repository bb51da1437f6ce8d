using System.Net;
using System.Net.Http.Json;
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
