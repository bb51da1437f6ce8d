using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class ThreadApiTests : ConversationTestBase
{
    [Fact]
    public async Task Create_ThenGet_ReturnsTheThreadWithAnETag()
    {
        var created = await Alice.PostAsJsonAsync("/api/v1/threads", new { title = "Trip", metadata = new { color = "blue" }, starred = true });
        var body = await JsonOf(created, HttpStatusCode.Created);
        var id = body.GetProperty("id").GetString()!;

        var get = await Alice.GetAsync($"/api/v1/threads/{id}");
        var thread = await JsonOf(get, HttpStatusCode.OK);

        Assert.Equal($"/api/v1/threads/{id}", created.Headers.Location?.ToString());
        Assert.Equal(created.Headers.ETag, get.Headers.ETag);
        Assert.Equal("Trip", thread.GetProperty("title").GetString());
        Assert.Equal("blue", thread.GetProperty("metadata").GetProperty("color").GetString());
        Assert.True(thread.GetProperty("starred").GetBoolean());
        Assert.Equal(1, thread.GetProperty("nextSequence").GetInt64());
        Assert.Equal(JsonValueKind.Null, thread.GetProperty("parentThreadId").ValueKind);
    }

    [Fact]
    public async Task Create_WithClientId_UsesIt_AndASecondCreateIs409()
    {
        Assert.Equal("my-thread_1", await CreateThreadAsync(Alice, new { id = "my-thread_1" }));

        var again = await Alice.PostAsJsonAsync("/api/v1/threads", new { id = "my-thread_1" });

        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "conflict");
    }

    [Fact]
    public async Task Create_WithIdempotencyKey_ReplaysTheFirstResponse_And422ForAnotherBody()
    {
        HttpRequestMessage Request(string title)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/threads") { Content = JsonContent.Create(new { title }) };
            request.Headers.Add("Idempotency-Key", "key-1");
            return request;
        }

        var first = await JsonOf(await Alice.SendAsync(Request("a")), HttpStatusCode.Created);
        var replay = await Alice.SendAsync(Request("a"));
        var other = await Alice.SendAsync(Request("b"));

        Assert.Equal(first.GetProperty("id").GetString(), (await JsonOf(replay, HttpStatusCode.Created)).GetProperty("id").GetString());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        await ProblemAssert.IsProblemAsync(other, HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        var list = await JsonOf(await Alice.GetAsync("/api/v1/threads"), HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("{\"id\":\"bad id\"}", "id")]
    [InlineData("{\"id\":\"a|b\"}", "id")]
    [InlineData("{\"metadata\":[1,2]}", "metadata")]
    [InlineData("{\"metadata\":\"text\"}", "metadata")]
    public async Task Create_WithInvalidFields_Is400AndWritesNothing(string json, string field)
    {
        var response = await Alice.PostAsync("/api/v1/threads", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(0, (await JsonOf(await Alice.GetAsync("/api/v1/threads"), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Create_WithMetadataOverTheLimit_Is400()
    {
        var response = await Alice.PostAsJsonAsync("/api/v1/threads", new { metadata = new { big = new string('x', 5000) } });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Patch_ChangesFields_AndStaleIfMatchIs412()
    {
        var created = await Alice.PostAsJsonAsync("/api/v1/threads", new { title = "old", metadata = new { a = 1 } });
        var id = (await JsonOf(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;

        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/threads/{id}") { Content = JsonContent.Create(new { title = "new", metadata = (object?)null, starred = true, archived = true }) };
        patch.Headers.IfMatch.Add(created.Headers.ETag!);
        var patched = await JsonOf(await Alice.SendAsync(patch), HttpStatusCode.OK);

        var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/threads/{id}") { Content = JsonContent.Create(new { title = "stale" }) };
        stale.Headers.IfMatch.Add(created.Headers.ETag!);
        var staleResponse = await Alice.SendAsync(stale);

        Assert.Equal("new", patched.GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Null, patched.GetProperty("metadata").ValueKind);
        Assert.True(patched.GetProperty("starred").GetBoolean());
        Assert.True(patched.GetProperty("archived").GetBoolean());
        await ProblemAssert.IsProblemAsync(staleResponse, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal("new", (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{id}"), HttpStatusCode.OK)).GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("{\"nextSequence\":5}")]
    [InlineData("{\"starred\":\"yes\"}")]
    [InlineData("[1]")]
    public async Task Patch_WithUnknownOrMistypedFields_Is400(string json)
    {
        var id = await CreateThreadAsync(Alice);

        var response = await Alice.PatchAsync($"/api/v1/threads/{id}", new StringContent(json, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Delete_HidesTheThread_AndRestoreBringsItBackWithItsMessages()
    {
        var id = await CreateThreadAsync(Alice);
        await AppendAsync(Alice, id, "hello");

        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}/messages"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.DeleteAsync($"/api/v1/threads/{id}"), HttpStatusCode.NotFound, "not_found");
        var trash = await JsonOf(await Alice.GetAsync("/api/v1/threads?deleted=true"), HttpStatusCode.OK);
        Assert.Equal(id, trash.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.False(trash.GetProperty("data")[0].GetProperty("deletedAt").ValueKind == JsonValueKind.Null);
        Assert.Equal(0, (await JsonOf(await Alice.GetAsync("/api/v1/threads"), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        var restored = await JsonOf(await Alice.PostAsync($"/api/v1/threads/{id}/restore", null), HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, restored.GetProperty("deletedAt").ValueKind);
        Assert.Equal(["hello"], Contents(await ListAllAsync(Alice, id, "asc", 10)));
    }

    [Fact]
    public async Task List_ByRecentActivity_MovesTheThreadWithEachAppend_AndByCreationDoesNot()
    {
        var first = await CreateThreadAsync(Alice, new { title = "first" });
        var second = await CreateThreadAsync(Alice, new { title = "second" });
        await AppendAsync(Alice, first, "bump");

        var recent = await JsonOf(await Alice.GetAsync("/api/v1/threads"), HttpStatusCode.OK);
        var created = await JsonOf(await Alice.GetAsync("/api/v1/threads?sort=created"), HttpStatusCode.OK);

        Assert.Equal([first, second], recent.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToArray());
        Assert.Equal(1, recent.GetProperty("data")[0].GetProperty("messageCount").GetInt64());
        Assert.Equal([second, first], created.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToArray());
    }

    [Fact]
    public async Task List_PagesWithCursors_AndFiltersByStarredAndArchived()
    {
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await CreateThreadAsync(Alice, new { title = $"t{i}", starred = i % 2 == 0, archived = i == 6 }));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await JsonOf(await Alice.GetAsync("/api/v1/threads?limit=2" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor))), HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        var starred = await JsonOf(await Alice.GetAsync("/api/v1/threads?starred=true&sort=created"), HttpStatusCode.OK);
        var archived = await JsonOf(await Alice.GetAsync("/api/v1/threads?archived=true"), HttpStatusCode.OK);
        var any = await JsonOf(await Alice.GetAsync("/api/v1/threads?archived=any&limit=100"), HttpStatusCode.OK);

        Assert.Equal(ids.Take(6).Reverse(), seen);
        Assert.Equal([ids[4], ids[2], ids[0]], starred.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToArray());
        Assert.Equal([ids[6]], archived.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToArray());
        Assert.Equal(7, any.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("?sort=title")]
    [InlineData("?order=asc")]
    [InlineData("?archived=maybe")]
    [InlineData("?deleted=any")]
    [InlineData("?limit=0")]
    public async Task List_WithBadParameters_Is400(string query)
    {
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/threads" + query), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task List_WithACursorOfAnotherListOrUser_Is400()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateThreadAsync(Alice);
        }

        var cursor = (await JsonOf(await Alice.GetAsync("/api/v1/threads?limit=1"), HttpStatusCode.OK)).GetProperty("nextCursor").GetString()!;

        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/threads?sort=created&cursor=" + Uri.EscapeDataString(cursor)), HttpStatusCode.BadRequest, "invalid_cursor");
        await ProblemAssert.IsProblemAsync(await Bob.GetAsync("/api/v1/threads?cursor=" + Uri.EscapeDataString(cursor)), HttpStatusCode.BadRequest, "invalid_cursor");
    }

    [Fact]
    public async Task Summary_PutThenGet_AndCoverageBeyondTheThreadIs400()
    {
        var id = await CreateThreadAsync(Alice);
        await AppendAsync(Alice, id, "one");
        await AppendAsync(Alice, id, "two");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}/summary"), HttpStatusCode.NotFound, "not_found");

        var put = await Alice.PutAsJsonAsync($"/api/v1/threads/{id}/summary", new { text = "short", coversSequence = 2 });
        var get = await Alice.GetAsync($"/api/v1/threads/{id}/summary");
        var beyond = await Alice.PutAsJsonAsync($"/api/v1/threads/{id}/summary", new { text = "x", coversSequence = 3 });
        var missing = await Alice.PutAsJsonAsync($"/api/v1/threads/{id}/summary", new { coversSequence = 1 });

        await JsonOf(put, HttpStatusCode.OK);
        var summary = await JsonOf(get, HttpStatusCode.OK);
        Assert.Equal("short", summary.GetProperty("text").GetString());
        Assert.Equal(2, summary.GetProperty("coversSequence").GetInt64());
        Assert.Equal(put.Headers.ETag, get.Headers.ETag);
        await ProblemAssert.IsProblemAsync(beyond, HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task InvalidThreadId_InARoute_Is400()
    {
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/threads/bad!id"), HttpStatusCode.BadRequest, "validation_failed");
    }
}
