using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Serverless.Tests.Conversations;

/// <summary>
/// Random appends, deletes, redactions, forks, archives and unarchives against the API, compared
/// after every step batch with an in-memory model: listing in both orders (random page sizes) and
/// the transcript must equal it.
/// </summary>
public sealed class ConversationModelTests : ConversationTestBase
{
    private sealed class ModelThread(string? parent, long forkAt)
    {
        public string? Parent { get; } = parent;

        public long ForkAt { get; } = forkAt;

        public SortedDictionary<long, string?> Own { get; } = [];

        public long NextSeq { get; set; } = forkAt + 1;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomOperations_MatchTheModel(int seed)
    {
        var random = new Random(seed);
        var model = new Dictionary<string, ModelThread>();
        var root = await CreateThreadAsync(Alice);
        model[root] = new ModelThread(null, 0);
        var counter = 0;

        for (var step = 0; step < 80; step++)
        {
            var ids = model.Keys.ToList();
            var id = ids[random.Next(ids.Count)];
            var thread = model[id];
            var op = random.Next(13);
            if (op < 6)
            {
                var n = random.Next(1, 4);
                var contents = Enumerable.Range(0, n).Select(_ => $"c{counter++}").ToList();
                var response = await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages = contents.Select(c => new { role = "user", content = c }).ToArray() });
                await JsonOf(response, HttpStatusCode.Created);
                foreach (var c in contents)
                {
                    thread.Own[thread.NextSeq++] = c;
                }
            }
            else if (op < 8 && thread.Own.Count > 0)
            {
                var seq = thread.Own.Keys.ElementAt(random.Next(thread.Own.Count));
                Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync($"/api/v1/threads/{id}/messages/{seq}")).StatusCode);
                thread.Own.Remove(seq);
            }
            else if (op == 10 && thread.Own.Count > 0)
            {
                var seq = thread.Own.Keys.ElementAt(random.Next(thread.Own.Count));
                await JsonOf(await Alice.PostAsync($"/api/v1/threads/{id}/messages/{seq}/redact", null), HttpStatusCode.OK);
                thread.Own[seq] = null;
            }
            else if (op is 11 or 12)
            {
                var archived = await JsonOf(await Alice.PatchAsJsonAsync($"/api/v1/threads/{id}", new { archived = op == 11 }), HttpStatusCode.OK);
                Assert.Equal(op == 11 && thread.NextSeq - 1 > thread.ForkAt, archived.GetProperty("archivedThrough").ValueKind == JsonValueKind.Number);
            }
            else
            {
                var at = random.NextInt64(0, thread.NextSeq);
                var fork = await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/fork", new { atSequence = at }), HttpStatusCode.Created);
                model[fork.GetProperty("id").GetString()!] = new ModelThread(id, at);
            }

            if (step % 10 == 9)
            {
                foreach (var (threadId, _) in model)
                {
                    await AssertMatchesAsync(threadId, View(model, threadId), random);
                }
            }
        }
    }

    private static List<(long Seq, string? Content)> View(Dictionary<string, ModelThread> model, string id)
    {
        var thread = model[id];
        var inherited = thread.Parent is null ? [] : View(model, thread.Parent).Where(m => m.Seq <= thread.ForkAt).ToList();
        return [.. inherited, .. thread.Own.Select(kv => (kv.Key, kv.Value))];
    }

    private async Task AssertMatchesAsync(string id, List<(long Seq, string? Content)> expected, Random random)
    {
        var asc = await ListAllAsync(Alice, id, "asc", random.Next(1, 8));
        var desc = await ListAllAsync(Alice, id, "desc", random.Next(1, 8));
        var transcript = (await Alice.GetStringAsync($"/api/v1/threads/{id}/transcript"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        var expectedText = expected.Select(m => $"{m.Seq}:{m.Content ?? "(null)"}").ToList();
        Assert.Equal(expectedText, asc.Select(Text));
        Assert.Equal(Enumerable.Reverse(expectedText), desc.Select(Text));
        Assert.Equal(expectedText, transcript.Select(Text));
    }

    private static string Text(JsonElement m) => $"{m.GetProperty("sequence").GetInt64()}:{m.GetProperty("content").GetString() ?? "(null)"}";
}
