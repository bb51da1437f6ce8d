using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.FunctionMetadata;
using Serverless.Functions.Hosting;
using Serverless.Functions.Timers;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The generated function list against the app's own registrations, worked out here independently:
/// any route, method or timer the two disagree on fails a test. There is no checked-in snapshot;
/// scripts/publish generates the files from the same code, so this agreement is what matters.
/// </summary>
public sealed partial class FunctionMetadataTests : IAsyncLifetime
{
    private ApiFactory factory = null!;
    private IReadOnlyList<RouteEndpoint> endpoints = null!;
    private IReadOnlyList<FunctionDescription> functions = null!;
    private TimerRegistry? timers;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared);

        // Services starts the app, which copies every mapped endpoint into the shared data source.
        var services = factory.Services;
        endpoints = services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        timers = services.GetService<TimerRegistry>();
        functions = FunctionMetadataGenerator.FromServices(services);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public void EveryPublicRouteAndMethod_HasAnAnonymousFunctionWithThatMethod()
    {
        var publicEndpoints = endpoints.Where(e => e.Metadata.GetMetadata<HostProtocolEndpoint>() is null).ToList();
        Assert.NotEmpty(publicEndpoints);

        foreach (var endpoint in publicEndpoints)
        {
            var route = RouteBelowApi(endpoint);
            var trigger = Assert.Single(HttpTriggers(), t => t.Route == route);
            Assert.Equal("anonymous", trigger.AuthLevel);
            foreach (var method in MethodsOf(endpoint))
            {
                Assert.Contains(method, trigger.Methods!);
            }
        }
    }

    [Fact]
    public void EveryHttpFunction_MapsBackToItsRoutesWithExactlyTheirMethods()
    {
        foreach (var function in functions.Where(f => f.Bindings[0].Type == "httpTrigger"))
        {
            var trigger = function.Bindings[0];
            var serving = endpoints
                .Where(e => e.Metadata.GetMetadata<HostProtocolEndpoint>() is null && RouteBelowApi(e) == trigger.Route)
                .ToList();
            Assert.True(serving.Count > 0, $"{function.Name}: no endpoint has the route /api/{trigger.Route}");
            Assert.Equal(
                serving.SelectMany(MethodsOf).Distinct().Order(StringComparer.Ordinal),
                trigger.Methods!.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void EveryTimerFunction_MapsBackToARegisteredJob_AndEveryJobHasOne()
    {
        var jobs = timers?.Jobs ?? [];
        var timerFunctions = functions.Where(f => f.Bindings[0].Type == "timerTrigger").ToList();

        Assert.Equal(jobs.Select(j => j.Name).Order(StringComparer.Ordinal), timerFunctions.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var function in timerFunctions)
        {
            var job = jobs.Single(j => j.Name == function.Name);
            var trigger = Assert.Single(function.Bindings);
            Assert.Equal("in", trigger.Direction);
            Assert.Equal("timer", trigger.Name);
            Assert.Equal(job.ScheduleExpression, trigger.Schedule);
        }

        // Every function is one or the other.
        Assert.All(functions, f => Assert.Contains(f.Bindings[0].Type, new[] { "httpTrigger", "timerTrigger" }));
    }

    [Fact]
    public void HostProtocolRoutes_GetNoFunction()
    {
        var hostRoutes = endpoints.Where(e => e.Metadata.GetMetadata<HostProtocolEndpoint>() is not null).Select(e => e.RoutePattern.RawText!).ToList();
        Assert.Contains("/", hostRoutes);

        var functionRoutes = HttpTriggers().Select(t => "/api/" + t.Route).ToList();
        foreach (var hostRoute in hostRoutes)
        {
            Assert.DoesNotContain(hostRoute, functionRoutes);
        }

        Assert.All(HttpTriggers(), t => Assert.False(string.IsNullOrEmpty(t.Route)));
    }

    [Fact]
    public void TheAnonymousEndpoints_AreFunctionsToo()
    {
        Assert.Contains(HttpTriggers(), t => t.Route == "health" && t.Methods!.SequenceEqual(["get"]));
        Assert.Contains(HttpTriggers(), t => t.Route == "v1/openapi.json" && t.Methods!.SequenceEqual(["get"]));
    }

    [Fact]
    public void Names_AreValidUniqueAndReadable()
    {
        Assert.All(functions, f => Assert.Matches(ValidName(), f.Name));
        Assert.Equal(functions.Count, functions.Select(f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());

        var names = functions.ToDictionary(f => f.Name, f => f.Bindings[0].Route);
        Assert.Equal("health", names["health"]);
        Assert.Equal("v1/openapi.json", names["openapi-json"]);
        Assert.Equal("v1/settings/{namespace}", names["settings-namespace"]);
        Assert.Equal("v1/settings/{namespace}/{key}", names["settings-namespace-key"]);
    }

    [Fact]
    public void HttpFunctions_HaveExactlyTheTwoBindingsThatMakeTheHostProxy()
    {
        foreach (var function in functions.Where(f => f.Bindings[0].Type == "httpTrigger"))
        {
            var bindings = JsonDocument.Parse(function.ToJson()).RootElement.GetProperty("bindings").EnumerateArray().ToList();

            Assert.Equal(2, bindings.Count);
            Assert.Equal(["type", "direction", "name", "methods", "authLevel", "route"], bindings[0].EnumerateObject().Select(p => p.Name));
            Assert.Equal("httpTrigger", bindings[0].GetProperty("type").GetString());
            Assert.Equal("in", bindings[0].GetProperty("direction").GetString());
            Assert.Equal("req", bindings[0].GetProperty("name").GetString());
            Assert.Equal("anonymous", bindings[0].GetProperty("authLevel").GetString());
            Assert.All(bindings[0].GetProperty("methods").EnumerateArray(), m => Assert.Equal(m.GetString()!.ToLowerInvariant(), m.GetString()));
            Assert.Equal("""{"type":"http","direction":"out","name":"res"}""", JsonSerializer.Serialize(bindings[1]));
        }
    }

    [Fact]
    public void FunctionJson_ReadsBackAsWritten()
    {
        foreach (var function in functions)
        {
            var json = function.ToJson();
            var again = function with { Bindings = FunctionJson.ReadBindings(json) };

            Assert.Equal(json, again.ToJson());
            Assert.EndsWith("}\n", json, StringComparison.Ordinal);
            Assert.DoesNotContain("\r", json, StringComparison.Ordinal);
        }
    }

    private IEnumerable<FunctionBinding> HttpTriggers() => functions.Select(f => f.Bindings[0]).Where(b => b.Type == "httpTrigger");

    /// <summary>The route as function.json must hold it, derived here without the generator's help.</summary>
    private static string RouteBelowApi(RouteEndpoint endpoint)
    {
        var raw = endpoint.RoutePattern.RawText!;
        Assert.StartsWith("/api/", raw, StringComparison.Ordinal);
        return raw["/api/".Length..];
    }

    private static IEnumerable<string> MethodsOf(Endpoint endpoint)
    {
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>();
        Assert.True(methods is { HttpMethods.Count: > 0 }, $"{endpoint.DisplayName} accepts any method; list them");
        return methods.HttpMethods.Select(m => m.ToLowerInvariant());
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,126}\z")]
    private static partial Regex ValidName();
}
