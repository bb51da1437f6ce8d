using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Conversations;
using Serverless.Tests.Testing;

namespace Serverless.Tests.AgentState;

public sealed class EventApiTests : ConversationTestBase
{
    private static readonly DateTimeOffset Day1 = new(DateTime.UtcNow.Date.AddDays(-2).AddHours(10), TimeSpan.Zero);

    [Fact]
    public async Task ABatchOf500_IsStoredAndCounted_AndARetriedOrOverlappingBatch_CountsEachEventOnce()
    {
        var events = Enumerable.Range(0, 500).Select(Event).ToList();
        var first = await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events }), HttpStatusCode.OK);
        Assert.Equal(500, first.GetProperty("stored").GetInt32());
        Assert.Equal(0, first.GetProperty("duplicates").GetInt32());
        var usage = (await Usage("total")).GetRawText();

        // The same batch again (a client retrying after a lost answer): nothing stored or counted twice.
        var retried = await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events }), HttpStatusCode.OK);
        Assert.Equal(0, retried.GetProperty("stored").GetInt32());
        Assert.Equal(500, retried.GetProperty("duplicates").GetInt32());
        Assert.Equal(usage, (await Usage("total")).GetRawText());

        // A batch half of which was stored before (a partial failure retried with more events): only the new half counts.
        var overlapping = Enumerable.Range(250, 300).Select(Event).ToList();
        var partial = await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events = overlapping }), HttpStatusCode.OK);
        Assert.Equal(50, partial.GetProperty("stored").GetInt32());
        Assert.Equal(250, partial.GetProperty("duplicates").GetInt32());

        var totals = await Usage("total");
        var day1 = Day1.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var day2 = Day1.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var byDay = totals.GetProperty("days").EnumerateArray().ToDictionary(d => d.GetProperty("day").GetString()!);
        Assert.Equal(30, byDay.Count);
        Assert.Equal(275, byDay[day1].GetProperty("events").GetInt64());
        Assert.Equal(275, byDay[day2].GetProperty("events").GetInt64());
        Assert.Equal(550 * 3, byDay.Values.Sum(d => d.GetProperty("promptTokens").GetInt64()));
        Assert.Equal(0, byDay.Values.Where(d => d.GetProperty("day").GetString() != day1 && d.GetProperty("day").GetString() != day2).Sum(d => d.GetProperty("events").GetInt64()));

        var byModel = (await Usage("model")).GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(550, byModel.Sum(d => d.GetProperty("events").GetInt64()));
        Assert.Equal(["gpt-a", "gpt-b"], byModel.Select(d => d.GetProperty("value").GetString()!).Distinct().Order());
        var byType = (await Usage("type")).GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(["click", "search", "view"], byType.Select(d => d.GetProperty("value").GetString()!).Distinct().Order());
        Assert.Equal(550, byType.Sum(d => d.GetProperty("events").GetInt64()));
    }

    [Fact]
    public async Task MessageAppends_FeedTheUsageRollups_InTheirOwnTransaction()
    {
        var thread = await CreateThreadAsync(Alice);
        await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/messages", new { role = "user", content = "hi" }), HttpStatusCode.Created);
        await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/messages", new { role = "assistant", content = "hello", model = "gpt-x", promptTokens = 7, completionTokens = 3, cost = 0.5 }), HttpStatusCode.Created);
        await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{thread}/messages/batch", new
        {
            messages = new object[]
            {
                new { role = "assistant", content = "a", model = "gpt-x", promptTokens = 1 },
                new { role = "assistant", content = "b", model = "gpt-y", completionTokens = 2 },
            },
        }), HttpStatusCode.Created);

        var today = (await Usage("total")).GetProperty("days").EnumerateArray().Last();
        Assert.Equal(3, today.GetProperty("messages").GetInt64());
        Assert.Equal(8, today.GetProperty("promptTokens").GetInt64());
        Assert.Equal(5, today.GetProperty("completionTokens").GetInt64());
        Assert.Equal(0.5, today.GetProperty("cost").GetDouble(), 6);
        var models = (await Usage("model")).GetProperty("days").EnumerateArray().ToDictionary(d => d.GetProperty("value").GetString()!, d => d.GetProperty("messages").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["gpt-x"] = 2, ["gpt-y"] = 1 }, models);
    }

    [Fact]
    public async Task Events_ListNewestFirst_ByTypeAndTimeRange_WithCursors()
    {
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events = Enumerable.Range(0, 10).Select(Event).ToList() }), HttpStatusCode.OK);

        var all = await Ids("/api/v1/events?limit=3");
        Assert.Equal(Enumerable.Range(0, 10).Reverse().Select(i => $"e{i}"), all);
        Assert.Equal(["e9", "e6", "e3", "e0"], await Ids("/api/v1/events?type=search&limit=2"));
        var from = Uri.EscapeDataString(Day1.AddMinutes(2).ToString("o"));
        var to = Uri.EscapeDataString(Day1.AddMinutes(5).ToString("o"));
        Assert.Equal(["e4", "e3", "e2"], await Ids($"/api/v1/events?from={from}&to={to}"));
        var page = await JsonOf(await Alice.GetAsync("/api/v1/events?limit=1"), HttpStatusCode.OK);
        var e9 = page.GetProperty("data")[0];
        Assert.Equal("x9", e9.GetProperty("properties").GetProperty("q").GetString());
    }

    [Fact]
    public async Task BadBatchesAndRanges_Are400_AndStoreNothing()
    {
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/events", new { events = Enumerable.Range(0, 501).Select(Event).ToList() }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/events", new { events = new[] { new { id = "a", type = "x" } } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/events", new { events = new[] { Event(1), Event(1) } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/events", new { events = new[] { new { id = "f", type = "x", time = DateTimeOffset.UtcNow.AddHours(1) } } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.PostAsJsonAsync("/api/v1/events", new { events = new[] { Event(0), Event(1) with { properties = null!, type = "Bad Type" } } }), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/usage?from=2026-02-01&to=2026-01-01"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/usage?from=2020-01-01&to=2026-01-01"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/usage?by=day"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/events?from=yesterday"), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Empty(await Ids("/api/v1/events"));
    }

    private static EventBody Event(int i) => new(
        $"e{i}", (i % 3) switch { 0 => "search", 1 => "click", _ => "view" }, i < 250 || (i >= 500 && i < 525) ? Day1.AddMinutes(i) : Day1.AddDays(1).AddMinutes(i),
        new Dictionary<string, string> { ["q"] = $"x{i}" }, i % 2 == 0 ? "gpt-a" : "gpt-b", 3, 4, 0.001, 20);

    private async Task<JsonElement> Usage(string by)
    {
        var from = Day1.AddDays(-27).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = Day1.AddDays(2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return await JsonOf(await Alice.GetAsync($"/api/v1/usage?from={from}&to={to}&by={by}"), HttpStatusCode.OK);
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

    private sealed record EventBody(string id, string type, DateTimeOffset time, Dictionary<string, string> properties, string model, long promptTokens, long completionTokens, double cost, long durationMs);
}
