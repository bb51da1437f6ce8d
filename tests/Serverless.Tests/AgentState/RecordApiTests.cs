using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Conversations;
using Serverless.Tests.Testing;

namespace Serverless.Tests.AgentState;

public sealed class RecordApiTests : ConversationTestBase
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Records:MaxRecordsPerCollection"] = "5",
        ["Records:MaxCollections"] = "3",
        ["Records:MaxBytes"] = "300000",
        ["Records:CascadeDeletesPerRequest"] = "2",
    };

    [Fact]
    public async Task FiftyConcurrentIncrements_AddExactlyFifty()
    {
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/agents", new { id = "a1", data = new { name = "Frontend" }, status = "active", counters = new { tasksCompleted = 5 } }), HttpStatusCode.Created);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Alice.PostAsJsonAsync("/api/v1/records/agents/a1/increment", new { counter = "tasksCompleted", by = 1 })));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var record = await JsonOf(await Alice.GetAsync("/api/v1/records/agents/a1"), HttpStatusCode.OK);
        Assert.Equal(55, record.GetProperty("counters").GetProperty("tasksCompleted").GetInt64());
        Assert.Equal("Frontend", record.GetProperty("data").GetProperty("name").GetString());

        // Every list row was moved with every increment: exactly one copy in each list, and it is current.
        var recent = await JsonOf(await Alice.GetAsync("/api/v1/records/agents"), HttpStatusCode.OK);
        Assert.Equal(55, Assert.Single(recent.GetProperty("data").EnumerateArray()).GetProperty("counters").GetProperty("tasksCompleted").GetInt64());
        var active = await JsonOf(await Alice.GetAsync("/api/v1/records/agents?status=active"), HttpStatusCode.OK);
        Assert.Equal(55, Assert.Single(active.GetProperty("data").EnumerateArray()).GetProperty("counters").GetProperty("tasksCompleted").GetInt64());
    }

    [Fact]
    public async Task Crud_MergePatch_ETags_AndLargeDocumentsInBlobs()
    {
        var created = await Alice.PostAsJsonAsync("/api/v1/records/cells", new { id = "c1", data = new { title = "cell", meta = new { a = 1, b = 2 } }, status = "draft" });
        await JsonOf(created, HttpStatusCode.Created);
        var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/records/cells/c1")
        {
            Content = JsonContent.Create(new { data = new { meta = new { b = (int?)null, c = 3 } }, status = "running" }),
        };
        patch.Headers.IfMatch.Add(created.Headers.ETag!);
        var patched = await JsonOf(await Alice.SendAsync(patch), HttpStatusCode.OK);
        Assert.Equal("""{"title":"cell","meta":{"a":1,"c":3}}""", patched.GetProperty("data").GetRawText());
        Assert.Equal("running", patched.GetProperty("status").GetString());

        var stale = new HttpRequestMessage(HttpMethod.Put, "/api/v1/records/cells/c1") { Content = JsonContent.Create(new { data = new { } }) };
        stale.Headers.IfMatch.Add(created.Headers.ETag!);
        await ProblemAssert.IsProblemAsync(await Alice.SendAsync(stale), HttpStatusCode.PreconditionFailed, "precondition_failed");

        // A document over 64 KiB goes to a blob and reads back whole, in reads and lists.
        var big = new string('z', 100_000);
        await JsonOf(await Alice.PutAsJsonAsync("/api/v1/records/cells/c1", new { data = new { big }, status = "done" }), HttpStatusCode.OK);
        Assert.Equal(big, (await JsonOf(await Alice.GetAsync("/api/v1/records/cells/c1"), HttpStatusCode.OK)).GetProperty("data").GetProperty("big").GetString());
        var listed = await JsonOf(await Alice.GetAsync("/api/v1/records/cells?status=done"), HttpStatusCode.OK);
        Assert.Equal(big, listed.GetProperty("data")[0].GetProperty("data").GetProperty("big").GetString());
        Assert.Empty((await JsonOf(await Alice.GetAsync("/api/v1/records/cells?status=running"), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());

        var collections = await JsonOf(await Alice.GetAsync("/api/v1/records"), HttpStatusCode.OK);
        var cells = Assert.Single(collections.GetProperty("data").EnumerateArray());
        Assert.Equal(1, cells.GetProperty("records").GetInt64());
        Assert.True(cells.GetProperty("bytes").GetInt64() > 100_000);

        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync("/api/v1/records/cells/c1")).StatusCode);
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/records/cells/c1"), HttpStatusCode.NotFound, "not_found");
        Assert.Empty((await JsonOf(await Alice.GetAsync("/api/v1/records"), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Lists_ByRecencyIdStatusAndParent_AndCascadingDeletes()
    {
        await Create("tasks", "root", null, "open");
        await Create("tasks", "b", "root", "open");
        await Create("tasks", "a", "root", "done");
        await Create("tasks", "a1", "a", "done");

        Assert.Equal(["a1", "a", "b", "root"], await Ids("/api/v1/records/tasks?limit=3"));
        Assert.Equal(["a", "a1", "b", "root"], await Ids("/api/v1/records/tasks?sort=id&limit=3"));
        Assert.Equal(["a1", "a"], await Ids("/api/v1/records/tasks?status=done"));
        Assert.Equal(["a", "b"], await Ids("/api/v1/records/tasks?parentId=root"));
        Assert.Equal(["a"], await Ids("/api/v1/records/tasks?parentId=root&status=done"));
        Assert.Equal(["b"], await Ids("/api/v1/records/tasks?sort=id&status=open&parentId=root"));

        await ProblemAssert.IsProblemAsync(await Alice.DeleteAsync("/api/v1/records/tasks/root"), HttpStatusCode.Conflict, "conflict");
        await ProblemAssert.IsProblemAsync(await Alice.PatchAsJsonAsync("/api/v1/records/tasks/root", new { parentId = "a1" }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/tasks", new { parentId = "ghost" }), HttpStatusCode.BadRequest, "validation_failed");

        // Cascade: 2 records per request here, so the first request answers 202 and the second finishes.
        var first = await Alice.DeleteAsync("/api/v1/records/tasks/root?cascade=true");
        Assert.Equal(2, (await JsonOf(first, HttpStatusCode.Accepted)).GetProperty("deleted").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync("/api/v1/records/tasks/root?cascade=true")).StatusCode);
        Assert.Empty(await Ids("/api/v1/records/tasks"));
        Assert.Empty(await Ids("/api/v1/records/tasks?parentId=root"));
        Assert.Empty((await JsonOf(await Alice.GetAsync("/api/v1/records"), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Quotas_RecordsPerCollection_Collections_AndBytes_Refuse409_AndWriteNothing()
    {
        for (var i = 0; i < 5; i++)
        {
            await Create("c1", $"r{i}", null, null);
        }

        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/c1", new { id = "r5" }), HttpStatusCode.Conflict, "quota_exceeded");
        await Create("c2", "x", null, null);
        await Create("c3", "x", null, null);
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/c4", new { id = "x" }), HttpStatusCode.Conflict, "quota_exceeded");
        await ProblemAssert.IsProblemAsync(await Alice.PutAsJsonAsync("/api/v1/records/c2/x", new { data = new { big = new string('b', 310_000) } }), HttpStatusCode.Conflict, "quota_exceeded");

        Assert.Equal(5, (await Ids("/api/v1/records/c1")).Count);
        Assert.Equal("""{"id":"x"}""", (await JsonOf(await Alice.GetAsync("/api/v1/records/c2/x"), HttpStatusCode.OK)).GetProperty("data").GetRawText());
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/records/c4/x"), HttpStatusCode.NotFound, "not_found");

        // Deleting frees the quota.
        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync("/api/v1/records/c3/x")).StatusCode);
        await Create("c4", "x", null, null);
    }

    [Fact]
    public async Task BadInput_Is400()
    {
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/Bad_Name", new { }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/_all", new { }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/cells", new { data = new[] { 1 } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/cells", new { expiresAt = DateTimeOffset.UtcNow.AddDays(-1) }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/cells", new { counters = new Dictionary<string, long> { ["1bad"] = 1 } }), HttpStatusCode.BadRequest, "validation_failed");
        await Create("cells", "c", null, null);
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/cells/c/increment", new { counter = "x y" }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/records/cells/nope/increment", new { counter = "n" }), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.PatchAsJsonAsync("/api/v1/records/cells/c", new { owner = "me" }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PatchAsJsonAsync("/api/v1/records/cells/nope", new { status = "x" }), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/records/cells?sort=size"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.DeleteAsync("/api/v1/records/cells/c?cascade=yes"), HttpStatusCode.BadRequest, "validation_failed");
    }

    private async Task Create(string collection, string id, string? parentId, string? status) =>
        await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/records/{collection}", new { id, parentId, status, data = new { id } }), HttpStatusCode.Created);

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
