using System.Text.Json;
using Serverless.Functions.FunctionMetadata;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>host.json against what the code and the generated function.json files assume of it.</summary>
public sealed class FunctionMetadataHostJsonTests
{
    private readonly JsonElement host = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json"))).RootElement;

    [Fact]
    public void RoutePrefix_IsTheOneTheGeneratedRoutesLeaveOut() =>
        Assert.Equal(HttpFunctions.RoutePrefix, host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());

    [Fact]
    public void TheHandler_IsThePublishedServerRunFromTheAppRoot()
    {
        var handler = host.GetProperty("customHandler");
        var description = handler.GetProperty("description");

        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.Equal(typeof(Program).Assembly.GetName().Name, description.GetProperty("defaultExecutablePath").GetString());
        Assert.Equal(".", description.GetProperty("workingDirectory").GetString());
        Assert.True(handler.GetProperty("enableProxyingHttpRequest").GetBoolean());
    }

    [Fact]
    public void NothingConflictsWithFunctionJsonFolders()
    {
        // http.routes cannot be combined with function.json (the host throws), and neither HTTP nor
        // timer triggers need an extension bundle.
        Assert.False(host.GetProperty("customHandler").TryGetProperty("http", out _));
        Assert.False(host.TryGetProperty("extensionBundle", out _));
    }

    [Fact]
    public void FunctionTimeout_FitsEveryPlan()
    {
        var timeout = TimeSpan.Parse(host.GetProperty("functionTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        // 10 minutes is the Consumption maximum; the HTTP front end cuts requests at 230 s anyway.
        Assert.InRange(timeout, TimeSpan.FromSeconds(230), TimeSpan.FromMinutes(10));
    }
}
