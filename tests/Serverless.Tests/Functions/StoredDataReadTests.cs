using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// Reads survive bad stored data: rows written by an older version (a lone UTF-16 surrogate escaped inside stored JSON,
/// a lone surrogate in text, JSON that no longer parses), put there with the raw <see cref="TableClient"/>, never turn
/// a read or a list into a 500. The rule (README, "Reading stored data"): lone surrogates read as U+FFFD; a stored JSON
/// field that does not parse reads as null and the item names it in <c>unreadable</c>.
/// </summary>
public sealed class StoredDataReadTests : IAsyncLifetime
{
    private const string User = "reader";
    private const char Replacement = '\uFFFD';
    private ApiFactory factory = null!;
    private HttpClient client = null!;
    private TableClient table = null!;

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        factory = new ApiFactory(azurite, new Dictionary<string, string?>
        {
            ["Api:RateLimit:PermitsPerMinute"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
            ["Missions:AllowedLocalTargets:0"] = "localhost:5055",
        }, localScheduler: false);
        client = factory.ClientFor(User);
        table = azurite.Table(factory.UserTable);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    /// <summary>Overwrites <paramref name="property"/> on every row of the user whose RowKey starts with one of <paramref name="prefixes"/> and that has it.</summary>
    private async Task CorruptAsync(string property, string value, params string[] prefixes)
    {
        var partition = UserPartition.For(User).Key;
        var changed = 0;
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == partition))
        {
            if (prefixes.Any(p => row.RowKey.StartsWith(p, StringComparison.Ordinal)) && row.ContainsKey(property))
            {
                await table.UpdateEntityAsync(new TableEntity(partition, row.RowKey) { [property] = value }, ETag.All, TableUpdateMode.Merge);
                changed++;
            }
        }

        Assert.True(changed > 0, $"no row of {string.Join(", ", prefixes)} has {property}");
    }

    private async Task<JsonElement> OkAsync(string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>The item's <c>unreadable</c> fields, comma-separated, or null.</summary>
    private static string? Unreadable(JsonElement item) =>
        item.GetProperty("unreadable").ValueKind == JsonValueKind.Null ? null : string.Join(",", item.GetProperty("unreadable").EnumerateArray().Select(e => e.GetString()));

    [Fact]
    public async Task Threads_WithALoneSurrogateOrBrokenJsonInMetadata_AreServed()
    {
        await client.PostAsJsonAsync("/api/v1/threads", new { id = "lone", metadata = new { k = "v" } });
        await client.PostAsJsonAsync("/api/v1/threads", new { id = "broken", metadata = new { k = "v" } });
        await CorruptAsync("Metadata", """{"k":"\ud800x"}""", "thread|lone", "recent|", "created|");
        await CorruptAsync("Metadata", """{"k":""", "thread|broken");

        var lone = await OkAsync("/api/v1/threads/lone");
        var broken = await OkAsync("/api/v1/threads/broken");
        var list = await OkAsync("/api/v1/threads?archived=any");
        var created = await OkAsync("/api/v1/threads?sort=created");

        Assert.Equal($"{Replacement}x", lone.GetProperty("metadata").GetProperty("k").GetString());
        Assert.Null(Unreadable(lone));
        Assert.Equal(JsonValueKind.Null, broken.GetProperty("metadata").ValueKind);
        Assert.Equal("metadata", Unreadable(broken));
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());
        Assert.Equal(2, created.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Messages_WithBadToolCallsMetadataOrContent_ListStreamAndRedact()
    {
        await client.PostAsJsonAsync("/api/v1/threads", new { id = "t" });
        await client.PostAsJsonAsync("/api/v1/threads/t/messages", new { role = "assistant", toolCalls = new[] { new { name = "search" } }, metadata = new { m = 1 } });
        await client.PostAsJsonAsync("/api/v1/threads/t/messages", new { role = "user", content = "fine" });
        await client.PostAsJsonAsync("/api/v1/threads/t/messages", new { role = "user", content = "to redact", metadata = new { m = 3 } });
        await CorruptAsync("ToolCalls", """[{"name":"\udc00"}]""", "msg|t|0000000001");
        await CorruptAsync("Metadata", """{"m":1""", "msg|t|0000000001");
        await CorruptAsync("Content", "a\ud800b", "msg|t|0000000002");
        await CorruptAsync("Metadata", """{"m":"\ud83d"}""", "msg|t|0000000003");

        var page = await OkAsync("/api/v1/threads/t/messages");
        var desc = await OkAsync("/api/v1/threads/t/messages?order=desc");
        var one = await OkAsync("/api/v1/threads/t/messages/1");
        var transcript = await client.GetAsync("/api/v1/threads/t/transcript");
        var transcriptText = await transcript.Content.ReadAsStringAsync();
        var redacted = await client.PostAsync("/api/v1/threads/t/messages/3/redact", null);

        var messages = page.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(3, messages.Length);
        Assert.Equal(3, desc.GetProperty("data").GetArrayLength());
        Assert.Equal(Replacement.ToString(), messages[0].GetProperty("toolCalls")[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, messages[0].GetProperty("metadata").ValueKind);
        Assert.Equal("metadata", Unreadable(messages[0]));
        Assert.Equal("metadata", Unreadable(one));
        Assert.Equal($"a{Replacement}b", messages[1].GetProperty("content").GetString());
        Assert.Null(Unreadable(messages[1]));
        Assert.Equal(Replacement.ToString(), messages[2].GetProperty("metadata").GetProperty("m").GetString());
        Assert.True(transcript.StatusCode == HttpStatusCode.OK, transcriptText);
        Assert.Equal(3, transcriptText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(redacted.StatusCode == HttpStatusCode.OK, await redacted.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Settings_WithALoneSurrogateOrBrokenJson_ReadAndList()
    {
        await client.PutAsJsonAsync("/api/v1/settings/ui/lone", new { value = "x" });
        await client.PutAsJsonAsync("/api/v1/settings/ui/broken", new { value = "x" });
        await client.PutAsJsonAsync("/api/v1/settings/ui/fine", new { value = "ok" });
        await CorruptAsync("Value", "\"\\ud800\"", "setting|ui|lone");
        await CorruptAsync("Value", "{oops", "setting|ui|broken");

        var lone = await OkAsync("/api/v1/settings/ui/lone");
        var broken = await OkAsync("/api/v1/settings/ui/broken");
        var list = await OkAsync("/api/v1/settings/ui");
        var namespaces = await OkAsync("/api/v1/settings");

        Assert.Equal(Replacement.ToString(), lone.GetProperty("value").GetString());
        Assert.Null(Unreadable(lone));
        Assert.Equal(JsonValueKind.Null, broken.GetProperty("value").ValueKind);
        Assert.Equal("value", Unreadable(broken));
        Assert.Equal(3, list.GetProperty("data").GetArrayLength());
        Assert.Equal(3, namespaces.GetProperty("data")[0].GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Missions_WithALoneSurrogateOrBrokenDefinition_ReadListAndRunLog()
    {
        var lone = await CreateMissionAsync();
        var broken = await CreateMissionAsync();
        var definition = JsonDocument.Parse((await table.GetEntityAsync<TableEntity>(UserPartition.For(User).Key, "mission|" + lone)).Value.GetString("Definition")!).RootElement;
        var loneDefinition = definition.GetRawText()
            .Replace("\"Name\":\"m\"", "\"Name\":\"m\\ud800\"", StringComparison.Ordinal)
            .Replace("\"PayloadJson\":\"null\"", "\"PayloadJson\":\"{\\\"k\\\":\\\"\\\\udbff\\\"}\"", StringComparison.Ordinal);
        Assert.NotEqual(definition.GetRawText(), loneDefinition);
        await CorruptAsync("Definition", loneDefinition, "mission|" + lone);
        await CorruptAsync("Definition", """{"Name":""", "mission|" + broken);

        var readLone = await OkAsync($"/api/v1/missions/{lone}");
        var readBroken = await OkAsync($"/api/v1/missions/{broken}");
        var list = await OkAsync("/api/v1/missions");
        var runs = await OkAsync($"/api/v1/missions/{broken}/runs");
        var runBroken = await client.PostAsync($"/api/v1/missions/{broken}/run", null);

        Assert.Equal($"m{Replacement}", readLone.GetProperty("name").GetString());
        Assert.Equal(Replacement.ToString(), readLone.GetProperty("payload").GetProperty("k").GetString());
        Assert.Null(Unreadable(readLone));
        Assert.Equal("definition", Unreadable(readBroken));
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());
        Assert.Equal(0, runs.GetProperty("data").GetArrayLength());
        var problem = await ProblemAssert.IsProblemAsync(runBroken, HttpStatusCode.Conflict, "conflict");
        Assert.Contains("definition", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task<string> CreateMissionAsync()
    {
        var response = await client.PostAsJsonAsync("/api/v1/missions", new { name = "m", intervalSeconds = 3600, url = "http://localhost:5055/h" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("mission").GetProperty("id").GetString()!;
    }
}
