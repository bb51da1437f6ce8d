using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

/// <summary>An app per test class, with the rate limit out of the way, and helpers for the thread API.</summary>
public abstract class ConversationTestBase : IAsyncLifetime
{
    protected ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Alice { get; private set; } = null!;

    protected HttpClient Bob { get; private set; } = null!;

    /// <summary>Settings a test class adds to the app's.</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Api:RateLimit:PermitsPerMinute"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
        };
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }

        Factory = new ApiFactory(await Azurite.Shared, settings);
        Alice = Factory.ClientFor("alice");
        Bob = Factory.ClientFor("bob");
    }

    public virtual async Task DisposeAsync() => await Factory.DisposeAsync();

    protected static async Task<JsonElement> JsonOf(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    protected static async Task<string> CreateThreadAsync(HttpClient client, object? body = null)
    {
        var thread = await JsonOf(await client.PostAsJsonAsync("/api/v1/threads", body ?? new { title = "t" }), HttpStatusCode.Created);
        return thread.GetProperty("id").GetString()!;
    }

    protected static async Task<JsonElement> AppendAsync(HttpClient client, string threadId, string content, string role = "user", string? id = null) =>
        await JsonOf(await client.PostAsJsonAsync($"/api/v1/threads/{threadId}/messages", new { id, role, content }), HttpStatusCode.Created);

    /// <summary>Every message of a list, following cursors.</summary>
    protected static async Task<List<JsonElement>> ListAllAsync(HttpClient client, string threadId, string order, int limit)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        for (var pages = 0; pages < 10_000; pages++)
        {
            var url = $"/api/v1/threads/{threadId}/messages?order={order}&limit={limit}" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await JsonOf(await client.GetAsync(url), HttpStatusCode.OK);
            all.AddRange(page.GetProperty("data").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
            if (cursor is null)
            {
                return all;
            }
        }

        throw new InvalidOperationException("The list did not end.");
    }

    protected static List<string> Contents(IEnumerable<JsonElement> messages) => messages.Select(m => m.GetProperty("content").GetString() ?? "(null)").ToList();
}
