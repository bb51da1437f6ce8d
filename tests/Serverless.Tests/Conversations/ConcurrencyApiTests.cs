using System.Net;
using System.Net.Http.Json;

namespace Serverless.Tests.Conversations;

public sealed class ConcurrencyApiTests : ConversationTestBase
{
    [Fact]
    public async Task FiftyConcurrentAppends_ToOneThread_GetDenseUniqueSequenceNumbers()
    {
        var id = await CreateThreadAsync(Alice);

        var responses = await Task.WhenAll(Enumerable.Range(1, 50).Select(i => Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages", new { role = "user", content = $"m{i}", promptTokens = 1 })));

        foreach (var response in responses)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var messages = await ListAllAsync(Alice, id, "asc", 100);
        var thread = await JsonOf(await Alice.GetAsync($"/api/v1/threads/{id}"), HttpStatusCode.OK);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), messages.Select(m => m.GetProperty("sequence").GetInt64()));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => $"m{i}").Order(), Contents(messages).Order());
        Assert.Equal(50, thread.GetProperty("messageCount").GetInt64());
        Assert.Equal(50, thread.GetProperty("promptTokens").GetInt64());
        Assert.Equal(51, thread.GetProperty("nextSequence").GetInt64());

        // The activity row moved with every append: exactly one remains, and it is current.
        var list = await JsonOf(await Alice.GetAsync("/api/v1/threads"), HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("data").GetArrayLength());
        Assert.Equal(51, list.GetProperty("data")[0].GetProperty("nextSequence").GetInt64());
    }

    [Fact]
    public async Task ConcurrentRetries_OfOneClientMessageId_AppendItOnce()
    {
        var id = await CreateThreadAsync(Alice);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages", new { id = "same", role = "user", content = "once" })));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, r.StatusCode.ToString()));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Single(await ListAllAsync(Alice, id, "asc", 100));
    }
}
