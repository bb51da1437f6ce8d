using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// Hostile input on every route, as an independent tester would send it: wrong types, huge numbers, bad route and
/// query values, duplicate parameters, foreign ETags, lone surrogates. Each answer is a 4xx problem with a stable code,
/// no framework message reaches the client, and a refused request writes nothing (the user's rows and the mission
/// index are compared before and after, row by row, ETags included).
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const string User = "hostile-user";
    private ApiFactory factory = null!;
    private HttpClient client = null!;
    private string missionId = null!;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Api:RateLimit:PermitsPerMinute"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
            ["Missions:AllowedLocalTargets:0"] = "localhost:5055",
        }, localScheduler: false);
        client = factory.ClientFor(User);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/threads", new { id = "t1", title = "t" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "user", content = "hello" })).StatusCode);
        Assert.True((await client.PutAsJsonAsync("/api/v1/threads/t1/summary", new { text = "s", coversSequence = 1 })).IsSuccessStatusCode);
        Assert.True((await client.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = "dark" })).IsSuccessStatusCode);
        var mission = await client.PostAsJsonAsync("/api/v1/missions", new { name = "m", intervalSeconds = 3600, url = "http://localhost:5055/hook" });
        Assert.Equal(HttpStatusCode.Created, mission.StatusCode);
        missionId = JsonDocument.Parse(await mission.Content.ReadAsStringAsync()).RootElement.GetProperty("mission").GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    /// <summary>Requests a client can send; {m} stands for the mission id.</summary>
    public static TheoryData<string, string, string?> HostileRequests() => new()
    {
        // Route values.
        { "GET", "/api/v1/threads/t1/messages/abc", null },
        { "GET", "/api/v1/threads/t1/messages/-1", null },
        { "DELETE", "/api/v1/threads/t1/messages/-5", null },
        { "POST", "/api/v1/threads/t1/messages/-1/redact", null },
        { "GET", "/api/v1/threads/t1/messages/99999999999999999999", null },
        { "GET", "/api/v1/threads/t1/messages/9223372036854775807", null },
        { "GET", "/api/v1/threads/" + new string('a', 65), null },
        { "GET", "/api/v1/threads/a%2Fb", null },
        { "GET", "/api/v1/threads/%20", null },
        { "GET", "/api/v1/settings/" + new string('n', 101) + "/k", null },
        { "GET", "/api/v1/missions/" + new string('m', 65), null },
        { "POST", "/api/v1/missions/a%2Fb/run", null },
        { "GET", "/api/v1/missions/{m}/runs/not-a-run-id/response", null },
        { "GET", "/api/v1/missions/{m}/runs/99999999999999999999-x/response", null },

        // Query values, duplicated parameters.
        { "GET", "/api/v1/threads?limit=abc", null },
        { "GET", "/api/v1/threads?limit=0", null },
        { "GET", "/api/v1/threads?limit=99999999999999999999", null },
        { "GET", "/api/v1/threads?limit=1&limit=2", null },
        { "GET", "/api/v1/threads?cursor=a&cursor=b", null },
        { "GET", "/api/v1/threads?cursor=%00%01", null },
        { "GET", "/api/v1/threads?cursor=" + new string('c', 5000), null },
        { "GET", "/api/v1/threads?sort=recent&sort=created", null },
        { "GET", "/api/v1/threads?archived=maybe", null },
        { "GET", "/api/v1/threads?deleted=true&deleted=false", null },
        { "GET", "/api/v1/threads?order=sideways", null },
        { "GET", "/api/v1/threads/t1/messages?order=asc&order=desc", null },
        { "GET", "/api/v1/settings/ui?limit=-1", null },
        { "GET", "/api/v1/missions?cursor=bogus", null },
        { "GET", "/api/v1/missions/{m}/runs?limit=1e3", null },

        // Wrong types, huge numbers, wrong shapes.
        { "POST", "/api/v1/threads", """{"title":5}""" },
        { "POST", "/api/v1/threads", """{"id":[]}""" },
        { "POST", "/api/v1/threads", """{"metadata":"not an object"}""" },
        { "POST", "/api/v1/threads", """{"starred":"yes"}""" },
        { "POST", "/api/v1/threads", "[]" },
        { "POST", "/api/v1/threads", "5" },
        { "POST", "/api/v1/threads", "\"text\"" },
        { "POST", "/api/v1/threads", new string('[', 70) + new string(']', 70) },
        { "POST", "/api/v1/threads/t1/fork", """{"atSequence":1e400}""" },
        { "POST", "/api/v1/threads/t1/fork", """{"atSequence":99999999999999999999}""" },
        { "POST", "/api/v1/threads/t1/fork", """{"atSequence":-1}""" },
        { "POST", "/api/v1/threads/t1/fork", """{"atSequence":1.5}""" },
        { "POST", "/api/v1/threads/t1/fork", """{"atSequence":9223372036854775807}""" },
        { "POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"x","promptTokens":1e30}""" },
        { "POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"x","cost":1e400}""" },
        { "POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"x","completionTokens":9223372036854775807}""" },
        { "POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"x","toolCalls":"a string"}""" },
        { "POST", "/api/v1/threads/t1/messages", """{"role":7}""" },
        { "POST", "/api/v1/threads/t1/messages/batch", """{"messages":null}""" },
        { "POST", "/api/v1/threads/t1/messages/batch", """{"messages":[null]}""" },
        { "POST", "/api/v1/threads/t1/messages/batch", """{"messages":{}}""" },
        { "PUT", "/api/v1/threads/t1/summary", """{"text":"x","coversSequence":9223372036854775807}""" },
        { "PUT", "/api/v1/threads/t1/summary", """{"text":["x"],"coversSequence":1}""" },
        { "PATCH", "/api/v1/threads/t1", "[]" },
        { "PATCH", "/api/v1/threads/t1", """{"title":{"a":1}}""" },
        { "PATCH", "/api/v1/threads/t1", """{"archived":"true"}""" },
        { "PUT", "/api/v1/settings/ui/theme", """{"value":1,"value":2,"extra":{}}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":9223372036854775807,"url":"http://localhost:5055/h"}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","startAt":"0001-01-01T00:00:00Z"}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","startAt":"9999-12-31T23:59:59Z"}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","endAt":"0001-01-01T00:00:00Z"}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","maxCatchUp":2147483648}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","timeZone":"../../../etc/passwd"}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","timeZone":"\u0000"}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"https://[::1"}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","headers":{"X-A":null}}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","headers":[1]}""" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","startAt":"not a date"}""" },
        { "PUT", "/api/v1/missions/{m}", """{"name":"m","intervalSeconds":60,"url":"http://localhost:5055/h","startAt":"0001-01-01T00:00:00Z"}""" },
    };

    [Theory]
    [MemberData(nameof(HostileRequests))]
    public async Task HostileRequest_IsA4xxProblem_WithoutFrameworkText_AndWritesNothing(string method, string path, string? body)
    {
        var before = await SnapshotAsync();

        var response = await client.SendAsync(Request(method, path.Replace("{m}", missionId, StringComparison.Ordinal), body));

        await AssertRefusedAsync(response);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task OversizedUserId_InAValidToken_Is401_Not500()
    {
        var longUser = factory.ClientFor(new string('u', UserPartition.MaxUserIdLength + 1));

        var response = await longUser.GetAsync("/api/v1/settings/ui");

        await AssertRefusedAsync(response);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("abc", "application/json")]
    [InlineData("/", "application/json")]
    [InlineData("x", "application/json; charset=nonsense")]
    [InlineData("y", "text/json")]
    public async Task OddContentTypes_Are4xxProblems(string key, string contentType)
    {
        var content = new ByteArrayContent("""{"value":1}"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var before = await SnapshotAsync();

        var response = await client.PutAsync($"/api/v1/settings/odd/{key}", content);

        if (response.IsSuccessStatusCode)
        {
            return; // A JSON media type with a parameter we ignore is fine; it must just not be a fault.
        }

        await AssertRefusedAsync(response);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task DuplicateOrOverlongIdempotencyKeys_Are400()
    {
        var twice = Request("POST", "/api/v1/threads", """{"title":"x"}""");
        twice.Headers.TryAddWithoutValidation("Idempotency-Key", ["a", "b"]);
        var overlong = Request("POST", "/api/v1/threads", """{"title":"x"}""");
        overlong.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        var before = await SnapshotAsync();

        await AssertRefusedAsync(await client.SendAsync(twice));
        await AssertRefusedAsync(await client.SendAsync(overlong));
        Assert.Equal(before, await SnapshotAsync());
    }

    /// <summary>A field no route knows, at the top or nested in a known object; free-form JSON (metadata, payload, value, headers) takes any member.</summary>
    public static TheoryData<string, string, string, string> UnknownFields() => new()
    {
        { "PUT", "/api/v1/settings/ui/theme", """{"value":{"free":"form"},"extra":2}""", "extra" },
        { "POST", "/api/v1/threads", """{"title":"x","metadata":{"free":1},"colour":"red"}""", "colour" },
        { "PATCH", "/api/v1/threads/t1", """{"title":"x","colour":"red"}""", "colour" },
        { "POST", "/api/v1/threads/t1/fork", """{"atSequence":1,"parent":"x"}""", "parent" },
        { "POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"x","name":"bob"}""", "name" },
        { "POST", "/api/v1/threads/t1/messages/batch", """{"messages":[{"role":"user","content":"x"},{"role":"user","content":"y","nmae":"bob"}]}""", "messages[1].nmae" },
        { "POST", "/api/v1/threads/t1/messages/batch", """{"messages":[],"atomic":true}""", "atomic" },
        { "PUT", "/api/v1/threads/t1/summary", """{"text":"x","coversSequence":1,"model":"m"}""", "model" },
        { "POST", "/api/v1/missions", """{"name":"m","intervalSeconds":3600,"url":"http://localhost:5055/h","headers":{"X-Free":"1"},"payload":{"free":1},"secret":"whsec_x"}""", "secret" },
        { "PUT", "/api/v1/missions/{m}", """{"name":"m","intervalSeconds":3600,"url":"http://localhost:5055/h","id":"other"}""", "id" },
    };

    [Theory]
    [MemberData(nameof(UnknownFields))]
    public async Task UnknownFields_Are400ValidationFailed_NamingTheField_OnEveryRoute(string method, string path, string body, string field)
    {
        var before = await SnapshotAsync();

        var response = await client.SendAsync(Request(method, path.Replace("{m}", missionId, StringComparison.Ordinal), body));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors does not name {field}: {errors}");
        Assert.Single(errors.EnumerateObject());
        Assert.Equal(before, await SnapshotAsync());
    }

    /// <summary>Bodies that JSON cannot carry faithfully, on every route that takes JSON, in values and in property names.</summary>
    public static TheoryData<string, string, string> UnreadableBodies()
    {
        const string lone = "\\ud800";
        var data = new TheoryData<string, string, string>();
        foreach (var (method, path, template) in new[]
        {
            ("PUT", "/api/v1/settings/ui/theme", """{"value":{"a":"§"}}"""),
            ("PUT", "/api/v1/settings/ui/theme", """{"value":{"§":1}}"""),
            ("POST", "/api/v1/threads", """{"title":"§"}"""),
            ("POST", "/api/v1/threads", """{"metadata":{"k":"§"}}"""),
            ("POST", "/api/v1/threads", """{"metadata":{"§":1}}"""),
            ("PATCH", "/api/v1/threads/t1", """{"metadata":{"k":"§"}}"""),
            ("PATCH", "/api/v1/threads/t1", """{"§":1}"""),
            ("POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"§"}"""),
            ("POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"x","metadata":{"k":"§"}}"""),
            ("POST", "/api/v1/threads/t1/messages", """{"role":"assistant","toolCalls":[{"§":"x"}]}"""),
            ("POST", "/api/v1/threads/t1/messages/batch", """{"messages":[{"role":"user","content":"x","toolCalls":{"k":"§"}}]}"""),
            ("PUT", "/api/v1/threads/t1/summary", """{"text":"§","coversSequence":1}"""),
            ("POST", "/api/v1/threads/t1/fork", """{"atSequence":1,"title":"§"}"""),
            ("POST", "/api/v1/missions", """{"name":"m","intervalSeconds":3600,"url":"http://localhost:5055/h","payload":{"k":"§"}}"""),
            ("POST", "/api/v1/missions", """{"name":"m","intervalSeconds":3600,"url":"http://localhost:5055/h","headers":{"X-§":"v"}}"""),
            ("PUT", "/api/v1/missions/{m}", """{"name":"§","intervalSeconds":3600,"url":"http://localhost:5055/h"}"""),
        })
        {
            data.Add(method, path, template.Replace("§", lone, StringComparison.Ordinal));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task LoneSurrogates_Are400MalformedJson_OnEveryJsonRoute_AndWriteNothing(string method, string path, string body)
    {
        var before = await SnapshotAsync();

        var response = await client.SendAsync(Request(method, path.Replace("{m}", missionId, StringComparison.Ordinal), body));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "malformed_json");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("PUT", "/api/v1/settings/ui/theme")]
    [InlineData("POST", "/api/v1/threads/t1/messages")]
    [InlineData("POST", "/api/v1/missions")]
    public async Task InvalidUtf8_Is400MalformedJson_AndWritesNothing(string method, string path)
    {
        var bytes = "{\"value\":1,\"role\":\"user\",\"content\":\"a"u8.ToArray().Concat(new byte[] { 0xED, 0xA0, 0x80 }).Concat("\"}"u8.ToArray()).ToArray();
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var before = await SnapshotAsync();

        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, "malformed_json");
        Assert.Equal(before, await SnapshotAsync());
    }

    /// <summary>If-Match values the app never issued, on every route that takes If-Match.</summary>
    public static TheoryData<string, string, string?, string> ForeignIfMatch()
    {
        var data = new TheoryData<string, string, string?, string>();
        string?[][] routes =
        [
            ["PUT", "/api/v1/settings/ui/theme", """{"value":"light"}"""],
            ["PUT", "/api/v1/settings/ui/fresh", """{"value":"light"}"""],
            ["DELETE", "/api/v1/settings/ui/theme", null],
            ["PUT", "/api/v1/threads/t1/summary", """{"text":"new","coversSequence":1}"""],
            ["PATCH", "/api/v1/threads/t1", """{"title":"new"}"""],
            ["DELETE", "/api/v1/threads/t1", null],
            ["PUT", "/api/v1/missions/{m}", """{"name":"n","intervalSeconds":3600,"url":"http://localhost:5055/h"}"""],
            ["DELETE", "/api/v1/missions/{m}", null],
            ["POST", "/api/v1/missions/{m}/rotate-secret", null],
        ];
        foreach (var route in routes)
        {
            foreach (var value in new[] { "\"abc\"", "\"\"", "\"" + new string('x', 100) + "\"", "garbage", "W/\"x\"", "\"a\", \"b\"" })
            {
                data.Add(route[0]!, route[1]!, route[2], value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ForeignIfMatch))]
    public async Task IfMatchTheAppNeverIssued_Is412_AndWritesNothing(string method, string path, string? body, string ifMatch)
    {
        var request = Request(method, path.Replace("{m}", missionId, StringComparison.Ordinal), body);
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(request);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Contains("If-Match", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task IfNoneMatchStar_OnAnExistingSetting_Is412_NamingIfNoneMatch()
    {
        var request = Request("PUT", "/api/v1/settings/ui/theme", """{"value":"light"}""");
        request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
        var before = await SnapshotAsync();

        var problem = await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.PreconditionFailed, "precondition_failed");

        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("If-None-Match", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("If-Match ", detail, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    private static HttpRequestMessage Request(string method, string path, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"Expected a 4xx, got {status}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("code").GetString()));
        foreach (var framework in new[] { "Implicit body", "Failed to bind", "Microsoft.", "System.", "Exception", "Serverless.", "could not be mapped", "   at " })
        {
            Assert.DoesNotContain(framework, text, StringComparison.Ordinal);
        }
    }

    /// <summary>Every row of the user and every mission index row, with its ETag.</summary>
    private async Task<string> SnapshotAsync()
    {
        var azurite = await Azurite.Shared;
        var rows = new List<string>();
        var partition = UserPartition.For(User).Key;
        await foreach (var row in azurite.Table(factory.UserTable).QueryAsync<TableEntity>(e => e.PartitionKey == partition))
        {
            rows.Add($"{row.RowKey} {row.ETag}");
        }

        var dueTable = factory.Services.GetRequiredService<Serverless.Functions.Storage.AppTables>().Due;
        await foreach (var row in dueTable.QueryAsync<TableEntity>())
        {
            rows.Add($"due {row.PartitionKey} {row.RowKey} {row.ETag}");
        }

        return string.Join("\n", rows);
    }
}
