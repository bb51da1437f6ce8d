using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class MessageApiTests : ConversationTestBase
{
    [Fact]
    public async Task Append_ReturnsTheMessage_AndRollsUsageIntoTheThread()
    {
        var id = await CreateThreadAsync(Alice);

        var created = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages", new
        {
            role = "assistant",
            content = "hi",
            toolCalls = new[] { new { name = "search", arguments = "{}" } },
            model = "gpt-x",
            promptTokens = 10,
            completionTokens = 5,
            cost = 0.25,
            metadata = new { tag = "a" },
        });
        await AppendAsync(Alice, id, "again");
        var message = await JsonOf(created, HttpStatusCode.Created);
        var thread = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{id}"), HttpStatusCode.OK);
        var get = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{id}/messages/1"), HttpStatusCode.OK);

        Assert.Equal($"/api/v1/threads/{id}/messages/1", created.Headers.Location?.ToString());
        Assert.Equal(1, message.GetProperty("sequence").GetInt64());
        Assert.Equal("search", get.GetProperty("toolCalls")[0].GetProperty("name").GetString());
        Assert.Equal("gpt-x", get.GetProperty("model").GetString());
        Assert.Equal("a", get.GetProperty("metadata").GetProperty("tag").GetString());
        Assert.Equal(2, thread.GetProperty("messageCount").GetInt64());
        Assert.Equal(3, thread.GetProperty("nextSequence").GetInt64());
        Assert.Equal(10, thread.GetProperty("promptTokens").GetInt64());
        Assert.Equal(5, thread.GetProperty("completionTokens").GetInt64());
        Assert.Equal(0.25, thread.GetProperty("cost").GetDouble());
    }

    [Fact]
    public async Task MissingMessage_SaysWhichSequenceNumberIsMissing()
    {
        var id = await CreateThreadAsync(Alice);
        await AppendAsync(Alice, id, "one");

        var get = await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}/messages/7"), HttpStatusCode.NotFound, "not_found");
        var delete = await ProblemAssert.IsProblemAsync(await Alice.DeleteAsync($"/api/v1/threads/{id}/messages/8"), HttpStatusCode.NotFound, "not_found");
        var redact = await ProblemAssert.IsProblemAsync(await Alice.PostAsync($"/api/v1/threads/{id}/messages/9/redact", null), HttpStatusCode.NotFound, "not_found");

        Assert.Equal("No message with sequence 7.", get.GetProperty("detail").GetString());
        Assert.Equal("No message with sequence 8.", delete.GetProperty("detail").GetString());
        Assert.Equal("No message with sequence 9.", redact.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Append_WithAClientIdTwice_IsIdempotent()
    {
        var id = await CreateThreadAsync(Alice);

        var first = await AppendAsync(Alice, id, "once", id: "m-1");
        var again = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages", new { id = "m-1", role = "user", content = "once" });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.GetProperty("sequence").GetInt64(), (await JsonOf(again, HttpStatusCode.OK)).GetProperty("sequence").GetInt64());
        Assert.Equal(["once"], Contents(await ListAllAsync(Alice, id, "asc", 10)));
    }

    [Fact]
    public async Task Batch_IsAtomic_AndReplaysWhole_AndAPartlyUsedIdSetIs409()
    {
        var id = await CreateThreadAsync(Alice);
        var batch = new { messages = Enumerable.Range(1, 40).Select(i => new { id = $"b{i}", role = "user", content = $"m{i}" }).ToArray() };

        var first = await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", batch), HttpStatusCode.Created);
        var replay = await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", batch), HttpStatusCode.OK);
        var mixed = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages = new[] { new { id = "new", role = "user", content = "x" }, new { id = "b1", role = "user", content = "m1" } } });

        Assert.Equal(40, first.GetProperty("messages").GetArrayLength());
        Assert.Equal(41, first.GetProperty("thread").GetProperty("nextSequence").GetInt64());
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), replay.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("sequence").GetInt64()));
        await ProblemAssert.IsProblemAsync(mixed, HttpStatusCode.Conflict, "conflict");
        Assert.Equal(40, (await ListAllAsync(Alice, id, "asc", 100)).Count);
    }

    [Fact]
    public async Task Batch_Of97WithoutIds_Fits_And98OrTooManyIdsAre400()
    {
        var id = await CreateThreadAsync(Alice);
        object Batch(int n, bool ids) => new { messages = Enumerable.Range(1, n).Select(i => new { id = ids ? $"x{i}" : null, role = "user", content = $"m{i}" }).ToArray() };

        var ok = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", Batch(97, ids: false));
        var tooMany = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", Batch(98, ids: false));
        var tooManyIds = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", Batch(49, ids: true));
        var enoughIds = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", Batch(48, ids: true));

        Assert.Equal(97, (await JsonOf(ok, HttpStatusCode.Created)).GetProperty("messages").GetArrayLength());
        await ProblemAssert.IsProblemAsync(tooMany, HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(tooManyIds, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(48, (await JsonOf(enoughIds, HttpStatusCode.Created)).GetProperty("messages").GetArrayLength());
        Assert.Equal(97 + 48, (await ListAllAsync(Alice, id, "asc", 100)).Count);
    }

    [Theory]
    [InlineData("{\"role\":\"wizard\",\"content\":\"x\"}")]
    [InlineData("{\"content\":\"x\"}")]
    [InlineData("{\"role\":\"user\"}")]
    [InlineData("{\"role\":\"user\",\"content\":\"x\",\"promptTokens\":-1}")]
    [InlineData("{\"role\":\"user\",\"content\":\"x\",\"completionTokens\":100000001}")]
    [InlineData("{\"role\":\"user\",\"content\":\"x\",\"cost\":1e300}")]
    [InlineData("{\"role\":\"user\",\"content\":\"x\",\"model\":\"MODEL_201\"}")]
    [InlineData("{\"role\":\"user\",\"content\":\"x\",\"toolCalls\":\"str\"}")]
    [InlineData("{\"role\":\"user\",\"content\":\"x\",\"metadata\":[1]}")]
    [InlineData("{\"role\":\"user\",\"content\":\"x\",\"id\":\"has space\"}")]
    public async Task Append_Invalid_Is400AndWritesNothing(string json)
    {
        json = json.Replace("MODEL_201", new string('m', 201), StringComparison.Ordinal);
        var id = await CreateThreadAsync(Alice);

        var response = await Alice.PostAsync($"/api/v1/threads/{id}/messages", new StringContent(json, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(1, (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{id}"), HttpStatusCode.OK)).GetProperty("nextSequence").GetInt64());
    }

    [Fact]
    public async Task Append_WithALoneSurrogate_Is400()
    {
        var id = await CreateThreadAsync(Alice);

        var response = await Alice.PostAsync($"/api/v1/threads/{id}/messages", new StringContent("{\"role\":\"user\",\"content\":\"\\udc00\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Batch_WithDuplicateIdsOrEmpty_Is400()
    {
        var id = await CreateThreadAsync(Alice);

        var duplicate = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages = new[] { new { id = "a", role = "user", content = "1" }, new { id = "a", role = "user", content = "2" } } });
        var empty = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages = Array.Empty<object>() });

        await ProblemAssert.IsProblemAsync(duplicate, HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(empty, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Append_ToAMissingThread_Is404()
    {
        var response = await Alice.PostAsJsonAsync("/api/v1/threads/nope/messages", new { role = "user", content = "x" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task List_BothOrders_WithSmallPages_AfterDeletes_AreComplete()
    {
        var id = await CreateThreadAsync(Alice);
        await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages = Enumerable.Range(1, 45).Select(i => new { role = "user", content = $"m{i}" }).ToArray() });
        foreach (var seq in new[] { 1, 2, 20, 21, 22, 23, 45 })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{id}/messages/{seq}")).StatusCode);
        }

        var expected = Enumerable.Range(1, 45).Except([1, 2, 20, 21, 22, 23, 45]).Select(i => $"m{i}").ToList();
        foreach (var limit in new[] { 1, 3, 7, 100 })
        {
            Assert.Equal(expected, Contents(await ListAllAsync(Alice, id, "asc", limit)));
            Assert.Equal(Enumerable.Reverse(expected), Contents(await ListAllAsync(Alice, id, "desc", limit)));
        }

        Assert.Equal(38, (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{id}"), HttpStatusCode.OK)).GetProperty("messageCount").GetInt64());
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}/messages/20"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.DeleteAsync($"/api/v1/threads/{id}/messages/20"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}/messages/99"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task List_WithABadCursorOrOrder_Is400()
    {
        var id = await CreateThreadAsync(Alice);

        await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}/messages?cursor=abc.def"), HttpStatusCode.BadRequest, "invalid_cursor");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync($"/api/v1/threads/{id}/messages?order=up"), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Redact_RemovesContentButKeepsThePlace()
    {
        var id = await CreateThreadAsync(Alice);
        await AppendAsync(Alice, id, "secret");
        await AppendAsync(Alice, id, "public");

        var redacted = await JsonOf(await Alice.PostAsync($"/api/v1/threads/{id}/messages/1/redact", null), HttpStatusCode.OK);
        var list = await ListAllAsync(Alice, id, "asc", 10);

        Assert.True(redacted.GetProperty("redacted").GetBoolean());
        Assert.Equal(["(null)", "public"], Contents(list));
        Assert.Equal("user", list[0].GetProperty("role").GetString());
        await ProblemAssert.IsProblemAsync(await Alice.PostAsync($"/api/v1/threads/{id}/messages/9/redact", null), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task LargeContentAndToolCalls_GoToBlobs_AndReadBackWhole()
    {
        var id = await CreateThreadAsync(Alice);
        var big = string.Concat(Enumerable.Range(0, 40_000).Select(i => (char)('a' + (i % 26)))) + "ü😀";
        var calls = new[] { new { name = "x", arguments = new string('q', 20_000) } };

        await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages", new { role = "assistant", content = big, toolCalls = calls }), HttpStatusCode.Created);
        var get = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{id}/messages/1"), HttpStatusCode.OK);
        var listed = await ListAllAsync(Alice, id, "desc", 5);

        Assert.Equal(big, get.GetProperty("content").GetString());
        Assert.Equal(20_000, get.GetProperty("toolCalls")[0].GetProperty("arguments").GetString()!.Length);
        Assert.Equal(big, listed[0].GetProperty("content").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{id}/messages/1")).StatusCode);
    }

    [Fact]
    public async Task Batch_ThatWouldExceedTheTransactionBudget_OffloadsAndCommits()
    {
        var id = await CreateThreadAsync(Alice);

        // 90 messages of 16,000 control-free characters: 3 x 32 KB each worst case, far over 4 MiB inline.
        var batch = new { messages = Enumerable.Range(0, 90).Select(i => new { role = "user", content = new string((char)('a' + (i % 26)), 16_000) }).ToArray() };
        var response = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", batch);

        Assert.Equal(90, (await JsonOf(response, HttpStatusCode.Created)).GetProperty("messages").GetArrayLength());
        Assert.Equal(batch.messages.Select(m => m.content), Contents(await ListAllAsync(Alice, id, "asc", 100)));
    }
}
