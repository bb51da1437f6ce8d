using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class ForkApiTests : ConversationTestBase
{
    private async Task<string> ForkAsync(string threadId, long at, string? id = null)
    {
        var fork = await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{threadId}/fork", new { atSequence = at, id }), HttpStatusCode.Created);
        Assert.Equal(threadId, fork.GetProperty("parentThreadId").GetString());
        Assert.Equal(at, fork.GetProperty("forkSequence").GetInt64());
        return fork.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Fork_ShowsTheParentUpToTheForkPoint_ThenItsOwn_AndTheParentIsUnchanged()
    {
        var parent = await CreateThreadAsync(Alice);
        foreach (var text in new[] { "p1", "p2", "p3", "p4" })
        {
            await AppendAsync(Alice, parent, text);
        }

        var fork = await ForkAsync(parent, 2);
        var appended = await AppendAsync(Alice, fork, "f3");
        await AppendAsync(Alice, parent, "p5");

        Assert.Equal(3, appended.GetProperty("sequence").GetInt64());
        Assert.Equal(["p1", "p2", "f3"], Contents(await ListAllAsync(Alice, fork, "asc", 2)));
        Assert.Equal(["f3", "p2", "p1"], Contents(await ListAllAsync(Alice, fork, "desc", 2)));
        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], Contents(await ListAllAsync(Alice, parent, "asc", 10)));
        Assert.Equal("p2", (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{fork}/messages/2"), HttpStatusCode.OK)).GetProperty("content").GetString());
    }

    [Fact]
    public async Task ForksOfForks_Work_AndSurviveTheParentsDeletion()
    {
        var root = await CreateThreadAsync(Alice);
        await Alice.PostAsJsonAsync($"/api/v1/threads/{root}/messages/batch", new { messages = new[] { "r1", "r2", "r3" }.Select(c => new { role = "user", content = c }).ToArray() });
        var child = await ForkAsync(root, 3);
        await AppendAsync(Alice, child, "c4");
        await AppendAsync(Alice, child, "c5");
        var grandchild = await ForkAsync(child, 4);
        await AppendAsync(Alice, grandchild, "g5");
        var early = await ForkAsync(child, 1);

        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{root}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{child}")).StatusCode);

        Assert.Equal(["r1", "r2", "r3", "c4", "g5"], Contents(await ListAllAsync(Alice, grandchild, "asc", 2)));
        Assert.Equal(["g5", "c4", "r3", "r2", "r1"], Contents(await ListAllAsync(Alice, grandchild, "desc", 3)));
        Assert.Equal(["r1"], Contents(await ListAllAsync(Alice, early, "asc", 10)));
        var transcript = await Alice.GetStringAsync($"/api/v1/threads/{grandchild}/transcript");
        Assert.Equal(["r1", "r2", "r3", "c4", "g5"], transcript.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("content").GetString()!));
    }

    [Fact]
    public async Task EditingAMessage_IsForkingBeforeItAndAppending()
    {
        var thread = await CreateThreadAsync(Alice);
        await AppendAsync(Alice, thread, "question");
        await AppendAsync(Alice, thread, "typo");

        var edit = await ForkAsync(thread, 1);
        await AppendAsync(Alice, edit, "fixed");

        Assert.Equal(["question", "fixed"], Contents(await ListAllAsync(Alice, edit, "asc", 10)));
    }

    [Fact]
    public async Task Fork_Errors()
    {
        var thread = await CreateThreadAsync(Alice);
        await AppendAsync(Alice, thread, "one");
        var fork = await ForkAsync(thread, 1);

        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/fork", new { atSequence = 2 }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/fork", new { atSequence = -1 }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/fork", new { }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/threads/missing/fork", new { atSequence = 0 }), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/fork", new { atSequence = 0, id = fork }), HttpStatusCode.Conflict, "conflict");

        // The inherited message belongs to the parent: change it there, or fork before it.
        await ProblemAssert.IsProblemAsync(await Alice.DeleteAsync($"/api/v1/threads/{fork}/messages/1"), HttpStatusCode.Conflict, "conflict");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsync($"/api/v1/threads/{fork}/messages/1/redact", null), HttpStatusCode.Conflict, "conflict");
    }
}
