using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Api;
using Serverless.Functions.Hosting;
using Serverless.Functions.Settings;
using Azure;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Worker;

/// <summary>
/// <see cref="WorkerApiMiddleware"/> on function contexts built by the test: what it lets through to
/// the function, what it answers itself, and how it turns a function's fault into a problem.
/// </summary>
public sealed class WorkerMiddlewareTests : IAsyncLifetime
{
    private WorkerTestApp worker = null!;

    public async Task InitializeAsync() => worker = await WorkerTestApp.StartAsync(await Azurite.Shared, new Dictionary<string, string?>
    {
        ["Api:RateLimit:Burst"] = "2",
        ["Api:RateLimit:PermitsPerMinute"] = "6",
        ["Api:AddressRateLimit:Burst"] = "2",
        ["Api:AddressRateLimit:PermitsPerMinute"] = "6",
        ["Api:MaxRequestBodyBytes"] = "1000",
        ["Api:AllowedOrigins:0"] = "https://hud.example",
    });

    public async Task DisposeAsync() => await worker.DisposeAsync();

    [Fact]
    public void HttpTriggersOnly_AreItsBusiness()
    {
        var services = worker.Services;

        Assert.True(WorkerApiMiddleware.IsHttpTrigger(new TestFunctionContext("GetSetting", "httpTrigger", services)));
        Assert.False(WorkerApiMiddleware.IsHttpTrigger(new TestFunctionContext("MissionsTick", "timerTrigger", services)));
    }

    [Fact]
    public async Task NoToken_Is401Problem_WithAChallenge_AndTheFunctionDoesNotRun()
    {
        var (response, ran) = await RunAsync(nameof(SettingsFunctions.GetSetting), WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme"));

        Assert.False(ran);
        Assert.Equal(401, response.Status);
        Assert.Equal(ProblemCodes.Unauthorized, response.Json.GetProperty("code").GetString());
        Assert.StartsWith("Bearer", response.Headers.WWWAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnonymousOperation_RunsWithoutAToken()
    {
        var (response, ran) = await RunAsync(nameof(ServiceFunctions.Health), WorkerTestApp.Request("GET", "/api/health"));

        Assert.True(ran);
        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task ValidToken_ReachesTheFunction_AsThatUser()
    {
        string? seen = null;
        var (response, ran) = await RunAsync(nameof(SettingsFunctions.GetSetting), WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme", userId: "carol"),
            http => seen = Serverless.Functions.Identity.CurrentUser.From(http).UserId);

        Assert.True(ran);
        Assert.Equal(200, response.Status);
        Assert.Equal("carol", seen);
    }

    [Fact]
    public async Task DeclaredBodyOverTheLimit_Is413_BeforeTheFunctionRuns()
    {
        var http = WorkerTestApp.Request("PUT", "/api/v1/settings/ui/big", "{\"value\":\"" + new string('x', 2000) + "\"}", "alice");

        var (response, ran) = await RunAsync(nameof(SettingsFunctions.PutSetting), http);

        Assert.False(ran);
        Assert.Equal(413, response.Status);
        Assert.Equal(ProblemCodes.PayloadTooLarge, response.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task OverTheRateBudget_Is429WithRetryAfter()
    {
        var statuses = new List<int>();
        TestResponse? limited = null;
        for (var i = 0; i < 4; i++)
        {
            var (response, _) = await RunAsync(nameof(SettingsFunctions.GetSetting), WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme", userId: "greedy"));
            statuses.Add(response.Status);
            limited = response.Status == 429 ? response : limited;
        }

        Assert.Equal([200, 200, 429, 429], statuses);
        Assert.Equal(ProblemCodes.RateLimited, limited!.Json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(limited.Headers.RetryAfter.ToString()));
    }

    [Fact]
    public async Task AnonymousCalls_AreLimitedPerClientAddress()
    {
        async Task<int> HealthFrom(string address)
        {
            var http = WorkerTestApp.Request("GET", "/api/health");
            http.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(address);
            return (await RunAsync(nameof(ServiceFunctions.Health), http)).Response.Status;
        }

        var first = new[] { await HealthFrom("203.0.113.5"), await HealthFrom("203.0.113.5"), await HealthFrom("203.0.113.5") };
        var other = await HealthFrom("203.0.113.6");
        var sameIpv6Block = new[] { await HealthFrom("2001:db8:1:2::1"), await HealthFrom("2001:db8:1:2::2"), await HealthFrom("2001:db8:1:2:ffff::3") };

        Assert.Equal([200, 200, 429], first);
        Assert.Equal(200, other);
        Assert.Equal([200, 200, 429], sameIpv6Block);
    }

    [Fact]
    public async Task FailedAuthentication_IsLimitedPerClientAddress_AndTheFunctionDoesNotRun()
    {
        var ran = false;
        var statuses = new List<int>();
        TestResponse? limited = null;
        for (var i = 0; i < 3; i++)
        {
            var http = WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme", headers: new Dictionary<string, string> { ["Authorization"] = "Bearer forged" });
            http.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("198.51.100.7");
            var (response, r) = await RunAsync(nameof(SettingsFunctions.GetSetting), http);
            ran |= r;
            statuses.Add(response.Status);
            limited = response.Status == 429 ? response : limited;
        }

        Assert.False(ran);
        Assert.Equal([401, 401, 429], statuses);
        Assert.Equal(ProblemCodes.RateLimited, limited!.Json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(limited.Headers.RetryAfter.ToString()));
    }

    [Fact]
    public async Task FunctionFaults_BecomeProblems_WithNothingOfTheFailedAnswerLeft()
    {
        var (throttled, _) = await RunAsync(nameof(SettingsFunctions.GetSetting), WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme", userId: "alice"), http =>
        {
            http.Response.Headers.ETag = "\"stale\"";
            throw new RequestFailedException(503, "busy", "ServerBusy", null);
        });
        var (bug, _) = await RunAsync(nameof(SettingsFunctions.GetSetting), WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme", userId: "alice"),
            _ => throw new InvalidOperationException("secret internals"));

        Assert.Equal(503, throttled.Status);
        Assert.Equal(ProblemCodes.StorageUnavailable, throttled.Json.GetProperty("code").GetString());
        Assert.Equal("2", throttled.Headers.RetryAfter.ToString());
        Assert.Equal(string.Empty, throttled.Headers.ETag.ToString());
        Assert.Equal(500, bug.Status);
        Assert.Equal(ProblemCodes.InternalError, bug.Json.GetProperty("code").GetString());
        Assert.DoesNotContain("secret internals", bug.Body, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(bug.Json.GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task AllowedOrigin_GetsCorsHeaders_OthersDoNot()
    {
        var (allowed, _) = await RunAsync(nameof(ServiceFunctions.Health), WorkerTestApp.Request("GET", "/api/health", headers: new Dictionary<string, string> { ["Origin"] = "https://hud.example" }));
        var (refused, _) = await RunAsync(nameof(ServiceFunctions.Health), WorkerTestApp.Request("GET", "/api/health", headers: new Dictionary<string, string> { ["Origin"] = "https://evil.example" }));

        Assert.Equal("https://hud.example", allowed.Headers.AccessControlAllowOrigin.ToString());
        Assert.Contains("ETag", allowed.Headers.AccessControlExposeHeaders.ToString(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, refused.Headers.AccessControlAllowOrigin.ToString());
    }

    [Fact]
    public async Task Compression_WrapsTheWorkersPipeline_AndAFaultsProblemGoesOutAlone()
    {
        var big = await ServeThroughWebPipelineAsync("gzip", http => TypedResults.Ok(new { items = Enumerable.Range(0, 200).Select(i => $"item {i}").ToArray() }).ExecuteAsync(http));
        var failed = await ServeThroughWebPipelineAsync("gzip", async http =>
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("{\"items\":[\"partial");
            throw new InvalidOperationException("broke halfway");
        });

        // Past the threshold the failed answer was already being compressed when it broke: the problem must not go
        // through that compressor (nor claim its Content-Encoding).
        var failedCompressing = await ServeThroughWebPipelineAsync("br", async http =>
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("{\"items\":[\"" + new string('x', 3 * JsonCompression.MinBytes));
            throw new InvalidOperationException("broke after compression started");
        });

        Assert.Equal("gzip", big.Response.Headers.ContentEncoding.ToString());
        big.Response.Body.Position = 0;
        var bigJson = System.Text.Json.JsonDocument.Parse(new System.IO.Compression.GZipStream(big.Response.Body, System.IO.Compression.CompressionMode.Decompress)).RootElement;
        Assert.Equal(200, bigJson.GetProperty("items").GetArrayLength());
        foreach (var answer in new[] { failed, failedCompressing })
        {
            Assert.Equal(500, answer.Response.StatusCode);
            Assert.Equal(string.Empty, answer.Response.Headers.ContentEncoding.ToString());
            answer.Response.Body.Position = 0;
            var text = await new StreamReader(answer.Response.Body).ReadToEndAsync();
            Assert.DoesNotContain("partial", text, StringComparison.Ordinal);
            Assert.Equal(ProblemCodes.InternalError, System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("code").GetString());
        }
    }

    /// <summary>
    /// The worker's ASP.NET Core pipeline as its web host builds it: our startup filters around what runs the function
    /// (the worker middleware, then <paramref name="function"/>).
    /// </summary>
    private async Task<HttpContext> ServeThroughWebPipelineAsync(string acceptEncoding, Func<HttpContext, Task> function)
    {
        var app = new ApplicationBuilder(worker.Services);
        Action<IApplicationBuilder> configure = b => b.Run(async http =>
        {
            var context = new TestFunctionContext(nameof(SettingsFunctions.ListSettings), WorkerApiMiddleware.HttpTriggerType, http.RequestServices, http);
            await http.RequestServices.GetRequiredService<WorkerApiMiddleware>().Invoke(context, _ => function(http));
        });
        foreach (var filter in worker.Services.GetServices<Microsoft.AspNetCore.Hosting.IStartupFilter>().Reverse())
        {
            configure = filter.Configure(configure);
        }

        configure(app);
        await using var scope = worker.Services.CreateAsyncScope();
        var http = WorkerTestApp.Request("GET", "/api/v1/settings/ui", userId: $"zipper-{Guid.NewGuid():N}", headers: new Dictionary<string, string> { ["Accept-Encoding"] = acceptEncoding });
        http.RequestServices = scope.ServiceProvider;
        await app.Build()(http);
        return http;
    }

    /// <summary>Runs the middleware for <paramref name="function"/>; its "function" answers 200 {} after <paramref name="body"/>.</summary>
    private async Task<(TestResponse Response, bool Ran)> RunAsync(string function, HttpContext http, Action<HttpContext>? body = null)
    {
        await using var scope = worker.Services.CreateAsyncScope();
        http.RequestServices = scope.ServiceProvider;
        var context = new TestFunctionContext(function, WorkerApiMiddleware.HttpTriggerType, scope.ServiceProvider, http);
        var ran = false;
        await scope.ServiceProvider.GetRequiredService<WorkerApiMiddleware>().Invoke(context, async _ =>
        {
            ran = true;
            body?.Invoke(http);
            await TypedResults.Ok(new { }).ExecuteAsync(http);
        });
        return (await TestResponse.ReadAsync(http), ran);
    }
}
