using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Timers;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// One definition of the API: the build's functions.metadata (what the Functions host routes and
/// schedules), the local server's endpoint table and the OpenAPI document name the same operations,
/// with the same methods and routes, in both directions; the timers are the local scheduler's jobs.
/// </summary>
public sealed partial class FunctionCatalogTests : IAsyncLifetime
{
    private ApiFactory factory = null!;

    public async Task InitializeAsync() => factory = new ApiFactory(await Azurite.Shared, localScheduler: false);

    public async Task DisposeAsync() => await factory.DisposeAsync();

    /// <summary>functions.metadata as the build wrote it next to the app (the same file publish ships).</summary>
    public static JsonElement[] BuiltFunctions()
    {
        // The tests' own output folder says which configuration was built (bin/Debug or bin/Release).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = RepositoryPaths.Combine("src", "Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: the Functions build writes it");
        return [.. JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().Select(f => f.Clone())];
    }

    /// <summary>(name, METHOD, /api/route without constraints) of every HTTP function.</summary>
    private static SortedSet<string> HttpFunctions() => new(
        BuiltFunctions().Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: f.GetProperty("bindings")[0]))
            .Where(f => f.Trigger.GetProperty("type").GetString() == "httpTrigger")
            .SelectMany(f => f.Trigger.GetProperty("methods").EnumerateArray()
                .Select(m => Key(f.Name, m.GetString()!, "/api/" + f.Trigger.GetProperty("route").GetString()))),
        StringComparer.Ordinal);

    [Fact]
    public void EveryHttpFunction_IsAnonymousToTheHost_AndReturnsItsAnswer()
    {
        var http = BuiltFunctions().Where(f => f.GetProperty("bindings")[0].GetProperty("type").GetString() == "httpTrigger").ToList();

        Assert.NotEmpty(http);
        Assert.All(http, f => Assert.Equal("Anonymous", f.GetProperty("bindings")[0].GetProperty("authLevel").GetString()));
        Assert.All(http, f => Assert.Contains(f.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "http" && b.GetProperty("name").GetString() == "$return"));
    }

    [Fact]
    public void FunctionsMetadata_AndTheLocalEndpointTable_NameTheSameOperations()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        // Every local route is an operation with a function's name: nothing is served locally that the worker lacks.
        Assert.All(endpoints, e => Assert.NotNull(e.Metadata.GetMetadata<IEndpointNameMetadata>()));
        var local = new SortedSet<string>(
            endpoints.SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods
                .Select(m => Key(e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName, m, e.RoutePattern.RawText!))),
            StringComparer.Ordinal);

        Assert.Equal(HttpFunctions(), local);
    }

    [Fact]
    public async Task FunctionsMetadata_AndTheOpenApiDocument_NameTheSameOperations()
    {
        var document = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/api/v1/openapi.json")).RootElement;
        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                documented.Add(Key(operation.Value.GetProperty("operationId").GetString()!, operation.Name, path.Name));
            }
        }

        Assert.Equal(HttpFunctions(), documented);
    }

    [Fact]
    public void TimerFunctions_AreTheLocalSchedulersJobs_OnTheSameSchedules()
    {
        var timers = new SortedSet<string>(
            BuiltFunctions().Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: f.GetProperty("bindings")[0]))
                .Where(f => f.Trigger.GetProperty("type").GetString() == "timerTrigger")
                .Select(f => $"{f.Name} {f.Trigger.GetProperty("schedule").GetString()}"),
            StringComparer.Ordinal);
        var jobs = new SortedSet<string>(factory.Services.GetRequiredService<TimerRegistry>().Jobs.Select(j => $"{j.Name} {j.ScheduleExpression}"), StringComparer.Ordinal);

        Assert.NotEmpty(timers);
        Assert.Equal(timers, jobs);
    }

    /// <summary>One comparable line per operation and method; route constraints ({sequence:long}) dropped, as OpenAPI writes paths.</summary>
    private static string Key(string name, string method, string route) =>
        $"{name} {method.ToUpperInvariant()} {Constraint().Replace(route.TrimEnd('/'), "{$1}")}";

    [GeneratedRegex(@"\{([^}:]+):[^}]+\}")]
    private static partial Regex Constraint();
}
