using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Serverless.Tests.Conversations;
using Serverless.Tests.Testing;

namespace Serverless.Tests.AgentState;

public sealed class AgentOwnershipApiTests : ConversationTestBase
{
    [Fact]
    public async Task AnotherUser_Gets404OnEveryRoute_SeesNothingInLists_AndTheOwnersDataIsUnchanged()
    {
        await JsonOf(await Alice.PutAsJsonAsync("/api/v1/memories/user/prefs/theme", new { value = "dark secret" }), HttpStatusCode.Created);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { id = "r1", kind = "tool", name = "n", threadId = "t1" }), HttpStatusCode.Created);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events = new[] { new { id = "e1", type = "search", time = DateTimeOffset.UtcNow, model = "m", promptTokens = 5 } } }), HttpStatusCode.OK);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/cells", new { id = "c1", status = "open", counters = new { n = 1 } }), HttpStatusCode.Created);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/cells", new { id = "c2", parentId = "c1" }), HttpStatusCode.Created);
        var before = await SnapshotAsync();

        var attempts = new Func<Task<HttpResponseMessage>>[]
        {
            () => Bob.GetAsync("/api/v1/memories/user/prefs/theme"),
            () => Bob.DeleteAsync("/api/v1/memories/user/prefs/theme"),
            () => Bob.GetAsync("/api/v1/runs/r1"),
            () => Bob.PatchAsJsonAsync("/api/v1/runs/r1", new { status = "running" }),
            () => Bob.GetAsync("/api/v1/records/cells/c1"),
            () => Bob.PatchAsJsonAsync("/api/v1/records/cells/c1", new { status = "stolen" }),
            () => Bob.DeleteAsync("/api/v1/records/cells/c1?cascade=true"),
            () => Bob.PostAsJsonAsync("/api/v1/records/cells/c1/increment", new { counter = "n" }),
        };
        foreach (var attempt in attempts)
        {
            await ProblemAssert.IsProblemAsync(await attempt(), HttpStatusCode.NotFound, "not_found");
        }

        // Writes that must find the resource find none of Bob's.
        var put = new HttpRequestMessage(HttpMethod.Put, "/api/v1/memories/user/prefs/theme") { Content = JsonContent.Create(new { value = "x" }) };
        put.Headers.IfMatch.Add(EntityTagHeaderValue.Any);
        await ProblemAssert.IsProblemAsync(await Bob.SendAsync(put), HttpStatusCode.PreconditionFailed, "precondition_failed");
        var replace = new HttpRequestMessage(HttpMethod.Put, "/api/v1/records/cells/c1") { Content = JsonContent.Create(new { data = new { } }) };
        replace.Headers.IfMatch.Add(EntityTagHeaderValue.Any);
        await ProblemAssert.IsProblemAsync(await Bob.SendAsync(replace), HttpStatusCode.PreconditionFailed, "precondition_failed");
        await ProblemAssert.IsProblemAsync(await Bob.PostAsJsonAsync("/api/v1/records/cells", new { id = "x", parentId = "c1" }), HttpStatusCode.BadRequest, "validation_failed");

        foreach (var list in new[] { "/api/v1/memories/user", "/api/v1/memories/user?q=secret", "/api/v1/runs", "/api/v1/runs?threadId=t1", "/api/v1/events", "/api/v1/records/cells", "/api/v1/records/cells?parentId=c1", "/api/v1/records" })
        {
            Assert.Empty((await JsonOf(await Bob.GetAsync(list), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        }

        Assert.Equal(0, (await JsonOf(await Bob.GetAsync("/api/v1/runs/counts"), HttpStatusCode.OK)).GetProperty("total").GetInt64());
        Assert.All((await JsonOf(await Bob.GetAsync("/api/v1/usage"), HttpStatusCode.OK)).GetProperty("days").EnumerateArray(), d => Assert.Equal(0, d.GetProperty("events").GetInt64()));

        // Alice's cursor is not Bob's.
        var cursor = (await JsonOf(await Alice.GetAsync("/api/v1/records/cells?limit=1"), HttpStatusCode.OK)).GetProperty("nextCursor").GetString()!;
        await ProblemAssert.IsProblemAsync(await Bob.GetAsync("/api/v1/records/cells?limit=1&cursor=" + Uri.EscapeDataString(cursor)), HttpStatusCode.BadRequest, "invalid_cursor");

        Assert.Equal(before, await SnapshotAsync());
    }

    private async Task<string> SnapshotAsync()
    {
        var parts = new List<string>();
        foreach (var url in new[] { "/api/v1/memories/user/prefs/theme", "/api/v1/runs/r1", "/api/v1/runs/counts", "/api/v1/events", "/api/v1/records/cells/c1", "/api/v1/records/cells?sort=id", "/api/v1/records", "/api/v1/usage?by=model" })
        {
            parts.Add(await Alice.GetStringAsync(url));
        }

        return string.Join('\n', parts);
    }
}
