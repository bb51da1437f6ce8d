using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.FunctionMetadata;
using Serverless.Functions.Hosting;
using Serverless.Functions.Timers;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The app with timer jobs registered (the production app has none yet): each job becomes a timer
/// function with its schedule as written, and its host invocation route never becomes an HTTP function.
/// </summary>
public sealed class FunctionMetadataTimerTests
{
    [Fact]
    public async Task RegisteredJobs_BecomeTimerFunctions_AndTheirInvocationRoutesDoNotLeak()
    {
        await using var app = await WithJobsAsync(("Sweep", "%Sweep:Schedule%"), ("nightly-report", "0 30 2 * * *"));

        var functions = FunctionMetadataGenerator.FromServices(app.Services);
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        var sweep = Assert.Single(functions, f => f.Name == "Sweep");
        Assert.Equal(
            "{\n  \"bindings\": [\n    {\n      \"type\": \"timerTrigger\",\n      \"direction\": \"in\",\n      \"name\": \"timer\",\n      \"schedule\": \"%Sweep:Schedule%\"\n    }\n  ]\n}\n",
            sweep.ToJson());
        Assert.Equal("0 30 2 * * *", Assert.Single(functions, f => f.Name == "nightly-report").Bindings[0].Schedule);

        // The host POSTs timer invocations to /{Name}; those routes are protocol, not API.
        var invocationRoutes = endpoints.Where(e => e.RoutePattern.RawText is "/Sweep" or "/nightly-report").ToList();
        Assert.Equal(2, invocationRoutes.Count);
        Assert.All(invocationRoutes, e => Assert.NotNull(e.Metadata.GetMetadata<HostProtocolEndpoint>()));
        Assert.DoesNotContain(functions, f => f.Bindings[0].Route is { } route && (route.Contains("Sweep", StringComparison.Ordinal) || route.Contains("nightly", StringComparison.Ordinal)));
        // The app's own MissionsTick plus the two registered here.
        Assert.Equal(["MissionsTick", "Sweep", "nightly-report"], functions.Where(f => f.Bindings[0].Type == "timerTrigger").Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AJobNamedLikeAnHttpFunction_FailsGeneration()
    {
        await using var app = await WithJobsAsync(("Health", "0 */5 * * * *"));

        var error = Assert.Throws<InvalidOperationException>(() => FunctionMetadataGenerator.FromServices(app.Services));

        Assert.Contains("route /api/health", error.Message, StringComparison.Ordinal);
        Assert.Contains("timer job Health", error.Message, StringComparison.Ordinal);
    }

    private static async Task<WebApplicationFactory<Program>> WithJobsAsync(params (string Name, string Schedule)[] jobs)
    {
        var app = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Sweep:Schedule"] = "0 */5 * * * *",

            // Only the registrations matter here; the standalone scheduler would fire them.
            ["Timers:Standalone"] = "false",
        }).WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            foreach (var (name, schedule) in jobs)
            {
                services.AddTimerJob<IdleJob>(name, schedule);
            }
        }));
        _ = app.Services;
        return app;
    }

    private sealed class IdleJob : ITimerJob
    {
        public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
