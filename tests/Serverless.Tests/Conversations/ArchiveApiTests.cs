using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

/// <summary>
/// Archiving (PATCH archived: true) packs a thread's messages into segment blobs and removes their
/// rows; every read answers the same, through the same cursors; unarchiving restores the rows.
/// </summary>
public sealed class ArchiveApiTests : ConversationTestBase
{
    private static readonly UserPartition AlicePartition = UserPartition.For("alice");

    private TableClient Table => Factory.Services.GetRequiredService<AppTables>().Users;

    /// <summary>The orphans of Alice's blobs the orphan sweep would delete (dry run, no grace period).</summary>
    private async Task<IReadOnlyList<string>> OrphansAsync()
    {
        var tables = Factory.Services.GetRequiredService<AppTables>();
        var storage = new LifecycleStorage(tables.Users, tables.Expiry, tables.Lifecycle, tables.Due, Factory.Services.GetRequiredService<AppContainers>().Payloads);
        return (await new OrphanSweep(storage, TimeProvider.System).RunUserAsync(AlicePartition, TimeSpan.Zero, dryRun: true, default)).Orphans;
    }

    private async Task<int> MessageRowsAsync(string threadId) =>
        (await Table.ReadAllAsync(TableFilters.RowKeyStartsWith(AlicePartition.Key, UserRowKeys.MessagesOf(threadId)))).Count;

    private async Task<int> SegmentRowsAsync(string threadId) =>
        (await Table.ReadAllAsync(TableFilters.RowKeyStartsWith(AlicePartition.Key, UserRowKeys.SegmentsOf(threadId)))).Count;

    private async Task<List<string>> BlobsAsync(string threadId) =>
        await Factory.Services.GetRequiredService<AppContainers>().Payloads.ListNamesAsync(MessageStore.BlobPrefix(AlicePartition, threadId) + "/");

    private static async Task<JsonElement> PatchArchivedAsync(HttpClient client, string threadId, bool archived, HttpStatusCode expected = HttpStatusCode.OK) =>
        await JsonOf(await client.PatchAsJsonAsync($"/api/v1/threads/{threadId}", new { archived }), expected);

    private async Task FillAsync(string threadId, int count, string prefix)
    {
        for (var done = 0; done < count;)
        {
            var n = Math.Min(ConversationLimits.MaxAppendRows, count - done);
            var batch = Enumerable.Range(done, n).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", content = $"{prefix}{i}" }).ToArray();
            await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{threadId}/messages/batch", new { messages = batch }), HttpStatusCode.Created);
            done += n;
        }
    }

    private async Task<string> TranscriptAsync(string threadId) => await Alice.GetStringAsync($"/api/v1/threads/{threadId}/transcript");

    private static List<string> Texts(IEnumerable<JsonElement> messages) =>
        messages.Select(m => $"{m.GetProperty("sequence").GetInt64()}:{m.GetProperty("content").GetString() ?? "(null)"}").ToList();

    [Fact]
    public async Task Archive_MovesMessagesIntoSegments_ReadsAnswerTheSame_AndUnarchiveRestoresTheRows()
    {
        var thread = await CreateThreadAsync(Alice);
        await FillAsync(thread, 150, "m");
        var withId = await AppendAsync(Alice, thread, "client", id: "c-1");
        var big = new string('b', ConversationLimits.InlineMaxChars + 10);
        await AppendAsync(Alice, thread, big);
        await FillAsync(thread, 98, "n");
        foreach (var seq in new[] { 3, 97, 98, 160, 200 })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{thread}/messages/{seq}")).StatusCode);
        }

        var asc = Texts(await ListAllAsync(Alice, thread, "asc", 37));
        var desc = Texts(await ListAllAsync(Alice, thread, "desc", 23));
        var transcript = await TranscriptAsync(thread);
        var before = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}"), HttpStatusCode.OK);

        // A cursor taken before archiving goes on after it.
        var firstPage = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}/messages?order=asc&limit=50"), HttpStatusCode.OK);
        var cursor = firstPage.GetProperty("nextCursor").GetString()!;
        var descPage = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}/messages?order=desc&limit=50"), HttpStatusCode.OK);
        var descCursor = descPage.GetProperty("nextCursor").GetString()!;

        var archived = await PatchArchivedAsync(Alice, thread, true);
        Assert.True(archived.GetProperty("archived").GetBoolean());
        Assert.Equal(250, archived.GetProperty("archivedThrough").GetInt64());
        Assert.Equal(before.GetProperty("messageCount").GetInt64(), archived.GetProperty("messageCount").GetInt64());
        Assert.Equal(0, await MessageRowsAsync(thread));
        Assert.Equal(3, await SegmentRowsAsync(thread));

        Assert.Equal(asc, Texts(await ListAllAsync(Alice, thread, "asc", 37)));
        Assert.Equal(desc, Texts(await ListAllAsync(Alice, thread, "desc", 23)));
        Assert.Equal(transcript, await TranscriptAsync(thread));
        var next = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}/messages?order=asc&limit=50&cursor={Uri.EscapeDataString(cursor)}"), HttpStatusCode.OK);
        Assert.Equal(asc.Skip(50).Take(50), Texts(next.GetProperty("data").EnumerateArray()));
        var descNext = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}/messages?order=desc&limit=50&cursor={Uri.EscapeDataString(descCursor)}"), HttpStatusCode.OK);
        Assert.Equal(desc.Skip(50).Take(50), Texts(descNext.GetProperty("data").EnumerateArray()));

        // Single reads, offloaded content and deleted messages behave as before.
        Assert.Equal(big, (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}/messages/152"), HttpStatusCode.OK)).GetProperty("content").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Alice.GetAsync($"/api/v1/threads/{thread}/messages/97")).StatusCode);

        // The client id still makes the append idempotent: the sealed message comes back, nothing is added.
        var replay = await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/messages", new { id = "c-1", role = "user", content = "client" });
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(withId.GetProperty("sequence").GetInt64(), (await JsonOf(replay, HttpStatusCode.OK)).GetProperty("sequence").GetInt64());

        // Appending to an archived thread adds rows after the sealed part; archiving again seals them too.
        await AppendAsync(Alice, thread, "late");
        Assert.Equal([.. asc, "251:late"], Texts(await ListAllAsync(Alice, thread, "asc", 100)));
        Assert.Equal(1, await MessageRowsAsync(thread));
        Assert.Equal(251, (await PatchArchivedAsync(Alice, thread, true)).GetProperty("archivedThrough").GetInt64());
        Assert.Equal(0, await MessageRowsAsync(thread));

        // Unarchive: rows back, segments and their blobs gone, the offloaded text still there.
        var restored = await PatchArchivedAsync(Alice, thread, false);
        Assert.False(restored.GetProperty("archived").GetBoolean());
        Assert.Equal(JsonValueKind.Null, restored.GetProperty("archivedThrough").ValueKind);
        Assert.Equal(0, await SegmentRowsAsync(thread));
        Assert.Equal(246, await MessageRowsAsync(thread));
        Assert.Single(await BlobsAsync(thread));
        Assert.Equal([.. asc, "251:late"], Texts(await ListAllAsync(Alice, thread, "asc", 37)));
        Assert.Equal(big, (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}/messages/152"), HttpStatusCode.OK)).GetProperty("content").GetString());
    }

    [Fact]
    public async Task DeleteAndRedact_OfArchivedMessages_RewriteTheirSegment_AndLeaveNoOrphans()
    {
        var thread = await CreateThreadAsync(Alice);
        await FillAsync(thread, 120, "m");
        var big = new string('x', ConversationLimits.InlineMaxChars + 1);
        await AppendAsync(Alice, thread, big);
        await PatchArchivedAsync(Alice, thread, true);
        var blobsBefore = await BlobsAsync(thread);
        Assert.Equal(3, blobsBefore.Count); // two segments and the offloaded text

        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{thread}/messages/10")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Alice.DeleteAsync($"/api/v1/threads/{thread}/messages/10")).StatusCode);
        var redacted = await JsonOf(await Alice.PostAsync($"/api/v1/threads/{thread}/messages/121/redact", null), HttpStatusCode.OK);
        Assert.True(redacted.GetProperty("redacted").GetBoolean());
        await JsonOf(await Alice.PostAsync($"/api/v1/threads/{thread}/messages/100/redact", null), HttpStatusCode.OK);

        var texts = Texts(await ListAllAsync(Alice, thread, "asc", 50));
        Assert.Equal(120, texts.Count);
        Assert.DoesNotContain("10:m9", texts);
        Assert.Contains("100:(null)", texts);
        Assert.Equal("121:(null)", texts[^1]);
        Assert.Equal(120, (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{thread}"), HttpStatusCode.OK)).GetProperty("messageCount").GetInt64());
        Assert.Equal(0, await MessageRowsAsync(thread));

        // Both segments were rewritten (old blobs deleted) and the redacted text's blob is gone.
        var blobsAfter = await BlobsAsync(thread);
        Assert.Equal(2, blobsAfter.Count);
        Assert.Empty(blobsAfter.Intersect(blobsBefore));
        Assert.Empty(await OrphansAsync());
    }

    [Fact]
    public async Task OrphanCheck_CountsTextsOfArchivedMessagesAsReferenced()
    {
        var thread = await CreateThreadAsync(Alice);
        await AppendAsync(Alice, thread, new string('o', ConversationLimits.InlineMaxChars + 1));
        await AppendAsync(Alice, thread, "small");
        await PatchArchivedAsync(Alice, thread, true);
        Assert.Equal(2, (await BlobsAsync(thread)).Count);
        Assert.Empty(await OrphansAsync());
    }

    [Fact]
    public async Task Forks_ReadTheirArchivedParent_BeforeAndAfterItIsArchived_AndAfterItIsDeleted()
    {
        var parent = await CreateThreadAsync(Alice);
        await FillAsync(parent, 130, "p");
        var early = (await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{parent}/fork", new { atSequence = 120 }), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await AppendAsync(Alice, early, "own");
        var expectedEarly = Texts(await ListAllAsync(Alice, early, "asc", 30));

        await PatchArchivedAsync(Alice, parent, true);
        Assert.Equal(expectedEarly, Texts(await ListAllAsync(Alice, early, "asc", 30)));
        Assert.Equal(Enumerable.Reverse(expectedEarly), Texts(await ListAllAsync(Alice, early, "desc", 7)));
        Assert.Equal("p99", (await JsonOf(await Alice.GetAsync($"/api/v1/threads/{early}/messages/100"), HttpStatusCode.OK)).GetProperty("content").GetString());

        var late = (await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{parent}/fork", new { atSequence = 50 }), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        Assert.Equal(Enumerable.Range(1, 50).Select(i => $"{i}:p{i - 1}"), Texts(await ListAllAsync(Alice, late, "asc", 100)));

        // The fork can itself be archived: its own messages only; the parent's stay where they are.
        await PatchArchivedAsync(Alice, early, true);
        Assert.Equal(expectedEarly, Texts(await ListAllAsync(Alice, early, "asc", 30)));
        Assert.Equal(1, await SegmentRowsAsync(early));

        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{parent}")).StatusCode);
        Assert.Equal(expectedEarly, Texts(await ListAllAsync(Alice, early, "asc", 30)));
        Assert.Equal(expectedEarly.Count, (await TranscriptAsync(early)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ReadersDuringArchiveAndUnarchive_AlwaysSeeEveryMessage_AndConcurrentAppendsAreKept()
    {
        var thread = await CreateThreadAsync(Alice);
        await FillAsync(thread, 400, "m");
        var expected = Texts(await ListAllAsync(Alice, thread, "asc", 100));

        foreach (var archived in new[] { true, false, true })
        {
            var change = PatchArchivedAsync(Alice, thread, archived);
            var readings = 0;
            while (!change.IsCompleted || readings == 0)
            {
                var asc = Texts(await ListAllAsync(Alice, thread, "asc", 60));
                Assert.Equal(expected, asc);
                Assert.Equal(Enumerable.Reverse(expected), Texts(await ListAllAsync(Alice, thread, "desc", 45)));
                readings++;
            }

            await change;
        }

        // Appends racing an archive: all land, sequence numbers stay dense.
        var appends = Enumerable.Range(0, 10).Select(i => Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/messages", new { role = "user", content = $"race{i}" })).ToList();
        var sealing = PatchArchivedAsync(Alice, thread, true);
        foreach (var response in await Task.WhenAll(appends))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        await sealing;
        var all = await ListAllAsync(Alice, thread, "asc", 100);
        Assert.Equal(Enumerable.Range(1, 410).Select(i => (long)i), all.Select(m => m.GetProperty("sequence").GetInt64()));
        Assert.Equal(10, all.Count(m => m.GetProperty("content").GetString()!.StartsWith("race", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AnotherUser_CannotArchiveOrUnarchive_AndNothingChanges()
    {
        var thread = await CreateThreadAsync(Alice);
        await FillAsync(thread, 5, "m");
        await PatchArchivedAsync(Bob, thread, true, HttpStatusCode.NotFound);
        Assert.Equal(5, await MessageRowsAsync(thread));
        await PatchArchivedAsync(Alice, thread, true);
        await PatchArchivedAsync(Bob, thread, false, HttpStatusCode.NotFound);
        Assert.Equal(0, await MessageRowsAsync(thread));
        Assert.Equal(1, await SegmentRowsAsync(thread));
    }

    [Fact]
    public async Task ALongThread_IsArchivedAFewSegmentsPerRequest_202UntilDone_AndReadsStayWholeInBetween()
    {
        await using var factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Api:RateLimit:PermitsPerMinute"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
            ["Conversations:ArchiveSegmentsPerRequest"] = "1",
        });
        var alice = factory.ClientFor("alice");
        var thread = await CreateThreadAsync(alice);
        await JsonOf(await alice.PostAsJsonAsync($"/api/v1/threads/{thread}/messages/batch", new { messages = Enumerable.Range(0, 97).Select(i => new { role = "user", content = $"a{i}" }).ToArray() }), HttpStatusCode.Created);
        await JsonOf(await alice.PostAsJsonAsync($"/api/v1/threads/{thread}/messages/batch", new { messages = Enumerable.Range(0, 60).Select(i => new { role = "user", content = $"b{i}" }).ToArray() }), HttpStatusCode.Created);
        var expected = Texts(await ListAllAsync(alice, thread, "asc", 40));

        var first = await JsonOf(await alice.PatchAsJsonAsync($"/api/v1/threads/{thread}", new { archived = true }), HttpStatusCode.Accepted);
        Assert.Equal(97, first.GetProperty("archivedThrough").GetInt64());
        Assert.True(first.GetProperty("archived").GetBoolean());
        Assert.Equal(expected, Texts(await ListAllAsync(alice, thread, "asc", 40)));
        Assert.Equal(Enumerable.Reverse(expected), Texts(await ListAllAsync(alice, thread, "desc", 33)));
        var second = await JsonOf(await alice.PatchAsJsonAsync($"/api/v1/threads/{thread}", new { archived = true }), HttpStatusCode.OK);
        Assert.Equal(157, second.GetProperty("archivedThrough").GetInt64());

        Assert.Equal(97, (await JsonOf(await alice.PatchAsJsonAsync($"/api/v1/threads/{thread}", new { archived = false }), HttpStatusCode.Accepted)).GetProperty("archivedThrough").GetInt64());
        Assert.Equal(expected, Texts(await ListAllAsync(alice, thread, "asc", 40)));
        var restored = await JsonOf(await alice.PatchAsJsonAsync($"/api/v1/threads/{thread}", new { archived = false }), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, restored.GetProperty("archivedThrough").ValueKind);
        Assert.Equal(expected, Texts(await ListAllAsync(alice, thread, "asc", 40)));
    }

    [Fact]
    public async Task ConcurrentUnarchives_AndDeletesWhileReading_NeverFail_AndLoseNothing()
    {
        var thread = await CreateThreadAsync(Alice);
        await FillAsync(thread, 300, "m");
        await PatchArchivedAsync(Alice, thread, true);

        // Deletes of archived messages rewrite segments while lists read them: every list answers 200.
        var deletes = Task.WhenAll(new[] { 5, 50, 120, 150, 230, 290 }.Select(seq => Alice.DeleteAsync($"/api/v1/threads/{thread}/messages/{seq}")));
        while (!deletes.IsCompleted)
        {
            var all = await ListAllAsync(Alice, thread, "asc", 70);
            Assert.Equal(all.Select(m => m.GetProperty("sequence").GetInt64()).Distinct().Count(), all.Count);
        }

        Assert.All(await deletes, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        var expected = Texts(await ListAllAsync(Alice, thread, "asc", 100));
        Assert.Equal(294, expected.Count);

        // Two unarchives at once (a client retrying a slow one): neither fails, all rows come back once.
        var both = await Task.WhenAll(
            Alice.PatchAsJsonAsync($"/api/v1/threads/{thread}", new { archived = false }),
            Alice.PatchAsJsonAsync($"/api/v1/threads/{thread}", new { archived = false }));
        Assert.All(both, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, await SegmentRowsAsync(thread));
        Assert.Equal(294, await MessageRowsAsync(thread));
        Assert.Equal(expected, Texts(await ListAllAsync(Alice, thread, "asc", 100)));
    }
}
