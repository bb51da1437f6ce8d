using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>The conventions every endpoint shares: problem+json errors with stable codes, limits, CORS, OpenAPI, health.</summary>
public sealed class ApiConventionTests : IAsyncLifetime
{
    private ApiFactory factory = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Api:MaxRequestBodyBytes"] = "65536",
            ["Api:AllowedOrigins:0"] = "https://hud.example",
        });
        client = factory.ClientFor("conventions-user");
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task UnknownRoute_Is404ProblemWithRouteCode()
    {
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound, "route_not_found");
    }

    [Fact]
    public async Task WrongMethod_Is405Problem()
    {
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/api/v1/settings/ui/theme", null), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task MalformedJson_Is400WithTheMalformedJsonCode_AndWritesNothing()
    {
        var response = await client.PutAsync("/api/v1/settings/ui/broken", new StringContent("{\"value\": [1, 2", Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "malformed_json");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/settings/ui/broken")).StatusCode);
    }

    [Theory]
    [InlineData("{\"value\":\"\\ud800\"}", "lone high surrogate")]
    [InlineData("{\"value\":\"\\udc00x\"}", "lone low surrogate")]
    [InlineData("{\"\\ud800\":1,\"value\":1}", "lone surrogate in a property name")]
    [InlineData("", "empty")]
    [InlineData("null", "null")]
    public async Task UnreadableJsonBodies_Are400MalformedJson_AndWriteNothing(string body, string why)
    {
        var response = await client.PutAsync("/api/v1/settings/ui/odd", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "malformed_json");
        Assert.True(HttpStatusCode.NotFound == (await client.GetAsync("/api/v1/settings/ui/odd")).StatusCode, why);
    }

    [Fact]
    public async Task InvalidUtf8Body_Is400MalformedJson_AndWritesNothing()
    {
        var bytes = "{\"value\":\"a"u8.ToArray().Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}"u8.ToArray()).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");

        var response = await client.PutAsync("/api/v1/settings/ui/utf8", content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "malformed_json");
        Assert.Contains("UTF-8", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/settings/ui/utf8")).StatusCode);
    }

    [Fact]
    public async Task WrongContentType_Is415Problem()
    {
        var response = await client.PutAsync("/api/v1/settings/ui/text", new StringContent("value=1", Encoding.UTF8, "text/plain"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413Problem_WhetherOrNotItsLengthIsDeclared()
    {
        var big = "{\"value\":\"" + new string('x', 70_000) + "\"}";
        var declared = new StringContent(big, Encoding.UTF8, "application/json");
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/ui/big2") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;

        await ProblemAssert.IsProblemAsync(await client.PutAsync("/api/v1/settings/ui/big", declared), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task Health_IsAnonymousAndRevealsNothing()
    {
        var response = await factory.CreateClient().GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheApi()
    {
        var response = await factory.CreateClient().GetAsync("/api/v1/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/settings/{namespace}/{key}", out var setting));
        Assert.True(setting.TryGetProperty("put", out _));
        Assert.True(paths.TryGetProperty("/api/v1/settings/{namespace}", out _));
        Assert.False(paths.TryGetProperty("/", out _));
    }

    [Fact]
    public async Task Cors_AllowsConfiguredHudOrigins_Only()
    {
        var anonymous = factory.CreateClient();
        HttpRequestMessage Preflight(string origin) => new(HttpMethod.Options, "/api/v1/settings/ui/theme")
        {
            Headers =
            {
                { "Origin", origin },
                { "Access-Control-Request-Method", "PUT" },
                { "Access-Control-Request-Headers", "authorization,content-type,if-match" },
            },
        };

        var allowed = await anonymous.SendAsync(Preflight("https://hud.example"));
        var refused = await anonymous.SendAsync(Preflight("https://evil.example"));

        Assert.Equal("https://hud.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("PUT", allowed.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Timestamps_AreIso8601Utc()
    {
        var response = await client.PutAsJsonAsync("/api/v1/settings/ui/time", new { value = 1 });
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        var text = body.GetProperty("updatedAt").GetString()!;

        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$", text);
    }

    [Fact]
    public async Task IfMatchThatIsNoEntityTag_Is412_ItCannotNameTheCurrentVersion()
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/ui/etag") { Content = JsonContent.Create(new { value = 1 }) };
        request.Headers.TryAddWithoutValidation("If-Match", "not-a-quoted-etag");

        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/settings/ui/etag")).StatusCode);
    }
}

/// <summary>The per-user rate limit, on an app configured with a tiny budget.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private ApiFactory factory = null!;

    public async Task InitializeAsync() => factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
    {
        ["Api:RateLimit:Burst"] = "5",
        ["Api:RateLimit:PermitsPerMinute"] = "6",
    });

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task OverTheBudget_Is429WithRetryAfter_AndOtherUsersAreUnaffected()
    {
        var greedy = factory.ClientFor("greedy");
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8; i++)
        {
            var response = await greedy.GetAsync("/api/v1/settings/ui");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.NotNull(limited);
        var problem = await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("5 requests", detail, StringComparison.Ordinal);
        Assert.Contains("6 a minute", detail, StringComparison.Ordinal);
        Assert.Contains($"{retryAfter.Value.TotalSeconds:0} s", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await factory.ClientFor("patient").GetAsync("/api/v1/settings/ui")).StatusCode);
    }
}

/// <summary>Requests without a valid user (anonymous operations, failed authentication) are limited per client address.</summary>
public sealed class AddressRateLimitTests : IAsyncLifetime
{
    private ApiFactory factory = null!;

    public async Task InitializeAsync() => factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
    {
        ["Api:AddressRateLimit:Burst"] = "3",
        ["Api:AddressRateLimit:PermitsPerMinute"] = "6",
    });

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task AnonymousCalls_OverTheAddressBudget_Are429WithRetryAfter()
    {
        var anonymous = factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 4; i++)
        {
            var response = await anonymous.GetAsync(i % 2 == 0 ? "/api/health" : "/api/v1/openapi.json");
            statuses.Add(response.StatusCode);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : limited;
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        var problem = await ProblemAssert.IsProblemAsync(limited!, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.NotNull(limited!.Headers.RetryAfter?.Delta);
        Assert.Contains("address", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedAuthentication_OverTheAddressBudget_Is429_WhileValidTokensStillPass()
    {
        var forger = factory.CreateClient();
        forger.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not.a.token");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await forger.GetAsync("/api/v1/settings/ui")).StatusCode);
        }

        var limited = await forger.GetAsync("/api/v1/settings/ui");
        var valid = await factory.ClientFor("honest").GetAsync("/api/v1/settings/ui");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.False(limited.Headers.Contains("WWW-Authenticate"));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
    }
}
