using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Conversations;
using Serverless.Tests.Testing;

namespace Serverless.Tests.AgentState;

public sealed class RunApiTests : ConversationTestBase
{
    [Fact]
    public async Task Create_MoveThroughStatuses_WithETags_AndCountsFollow()
    {
        var created = await Alice.PostAsJsonAsync("/api/v1/runs", new { id = "r1", kind = "tool", name = "web_search", threadId = "t1", messageSequence = 2, input = new { q = "weather" } });
        var run = await JsonOf(created, HttpStatusCode.Created);
        Assert.Equal("queued", run.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("startedAt").ValueKind);
        Assert.Equal("/api/v1/runs/r1", created.Headers.Location!.ToString());

        var running = await Patch("r1", new { status = "running" }, created.Headers.ETag!);
        var runningBody = await JsonOf(running, HttpStatusCode.OK);
        Assert.NotEqual(JsonValueKind.Null, runningBody.GetProperty("startedAt").ValueKind);
        await ProblemAssert.IsProblemAsync(await Patch("r1", new { status = "succeeded" }, created.Headers.ETag!), HttpStatusCode.PreconditionFailed, "precondition_failed");

        var done = await JsonOf(await Patch("r1", new { status = "succeeded", output = new { answer = "sunny" }, model = "gpt-4o", promptTokens = 10, completionTokens = 5, cost = 0.002 }, running.Headers.ETag!), HttpStatusCode.OK);
        Assert.Equal("sunny", done.GetProperty("output").GetProperty("answer").GetString());
        Assert.True(done.GetProperty("durationMs").GetInt64() >= 0);
        await ProblemAssert.IsProblemAsync(await Patch("r1", new { status = "running" }, null), HttpStatusCode.Conflict, "invalid_transition");

        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { kind = "automation", name = "daily", status = "failed", error = "timeout" }), HttpStatusCode.Created);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { kind = "tool", name = "fetch", status = "running" }), HttpStatusCode.Created);

        var counts = await JsonOf(await Alice.GetAsync("/api/v1/runs/counts"), HttpStatusCode.OK);
        Assert.Equal(1, counts.GetProperty("succeeded").GetInt64());
        Assert.Equal(1, counts.GetProperty("failed").GetInt64());
        Assert.Equal(1, counts.GetProperty("running").GetInt64());
        Assert.Equal(0, counts.GetProperty("queued").GetInt64());
        Assert.Equal(3, counts.GetProperty("total").GetInt64());

        var read = await JsonOf(await Alice.GetAsync("/api/v1/runs/r1"), HttpStatusCode.OK);
        Assert.Equal("weather", read.GetProperty("input").GetProperty("q").GetString());
    }

    [Fact]
    public async Task Lists_AreNewestFirst_FilteredByKindStatusAndThread_WithCursors()
    {
        for (var i = 0; i < 6; i++)
        {
            await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { id = $"r{i}", kind = i % 2 == 0 ? "tool" : "agent_task", name = $"n{i}", status = i < 3 ? "running" : "queued", threadId = i < 2 ? "t1" : null }), HttpStatusCode.Created);
            await Task.Delay(2);
        }

        Assert.Equal(["r5", "r4", "r3", "r2", "r1", "r0"], await Ids("/api/v1/runs?limit=4"));
        Assert.Equal(["r4", "r2", "r0"], await Ids("/api/v1/runs?kind=tool&limit=2"));
        Assert.Equal(["r2", "r1", "r0"], await Ids("/api/v1/runs?status=running"));
        Assert.Equal(["r2", "r0"], await Ids("/api/v1/runs?status=running&kind=tool"));
        Assert.Equal(["r1", "r0"], await Ids("/api/v1/runs?threadId=t1"));

        // A status move moves the run between status lists, atomically.
        await JsonOf(await Patch("r1", new { status = "cancelled" }, null), HttpStatusCode.OK);
        Assert.Equal(["r2", "r0"], await Ids("/api/v1/runs?status=running"));
        Assert.Equal(["r1"], await Ids("/api/v1/runs?status=cancelled"));
        var page = await JsonOf(await Alice.GetAsync("/api/v1/runs?threadId=t1"), HttpStatusCode.OK);
        Assert.Equal("cancelled", page.GetProperty("data")[0].GetProperty("status").GetString());
        Assert.False(page.GetProperty("data")[0].TryGetProperty("input", out _));

        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/runs?order=asc"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/runs?status=done"), HttpStatusCode.BadRequest, "validation_failed");
        var cursor = (await JsonOf(await Alice.GetAsync("/api/v1/runs?limit=1"), HttpStatusCode.OK)).GetProperty("nextCursor").GetString()!;
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/runs?kind=tool&cursor=" + Uri.EscapeDataString(cursor)), HttpStatusCode.BadRequest, "invalid_cursor");
    }

    [Fact]
    public async Task LargeInputAndOutput_GoToBlobs_AndReadBackWhole()
    {
        var big = new string('x', 100_000);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { id = "big", kind = "tool", name = "n", status = "running", input = new { big } }), HttpStatusCode.Created);
        await JsonOf(await Patch("big", new { status = "succeeded", output = big }, null), HttpStatusCode.OK);

        var read = await JsonOf(await Alice.GetAsync("/api/v1/runs/big"), HttpStatusCode.OK);
        Assert.Equal(big, read.GetProperty("input").GetProperty("big").GetString());
        Assert.Equal(big, read.GetProperty("output").GetString());
    }

    [Fact]
    public async Task CreateRefusesBadInputAndTakenIds_AndHonoursIdempotencyKeys()
    {
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/runs", new { name = "n" }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/runs", new { kind = "tool", name = "n", status = "done" }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/runs", new { kind = "tool", name = "n", cost = -1 }), HttpStatusCode.BadRequest, "validation_failed");
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { id = "x", kind = "tool", name = "n" }), HttpStatusCode.Created);
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/runs", new { id = "x", kind = "tool", name = "n" }), HttpStatusCode.Conflict, "conflict");

        var requests = Enumerable.Range(0, 2).Select(_ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/runs") { Content = JsonContent.Create(new { kind = "tool", name = "once" }) };
            request.Headers.Add("Idempotency-Key", "run-key");
            return request;
        }).ToList();
        var first = await JsonOf(await Alice.SendAsync(requests[0]), HttpStatusCode.Created);
        var second = await JsonOf(await Alice.SendAsync(requests[1]), HttpStatusCode.Created);
        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        Assert.Equal(2, (await JsonOf(await Alice.GetAsync("/api/v1/runs/counts"), HttpStatusCode.OK)).GetProperty("total").GetInt64());
    }

    private Task<HttpResponseMessage> Patch(string id, object body, EntityTagHeaderValue? etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/runs/{id}") { Content = JsonContent.Create(body) };
        if (etag is not null)
        {
            request.Headers.IfMatch.Add(etag);
        }

        return Alice.SendAsync(request);
    }

    private async Task<List<string>> Ids(string url)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await JsonOf(await Alice.GetAsync(url + (cursor is null ? string.Empty : (url.Contains('?') ? "&" : "?") + "cursor=" + Uri.EscapeDataString(cursor))), HttpStatusCode.OK);
            ids.AddRange(page.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return ids;
    }
}
