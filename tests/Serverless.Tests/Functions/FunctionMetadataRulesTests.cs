using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Serverless.Functions.FunctionMetadata;
using Serverless.Functions.Hosting;

namespace Serverless.Tests.Functions;

/// <summary>The generator's rules on hand-made endpoints: names, grouping, constraints, exclusions and collisions.</summary>
public sealed class FunctionMetadataRulesTests
{
    [Theory]
    [InlineData("v1/settings/{namespace}/{key}", "settings-namespace-key")]
    [InlineData("health", "health")]
    [InlineData("v1/openapi.json", "openapi-json")]
    [InlineData("v1/items/{id:guid}", "items-id")]
    [InlineData("v1/items/{id?}", "items-id")]
    [InlineData("v1/files/{*path}", "files-path")]
    [InlineData("v1/Threads/{threadId}/Messages", "threads-threadid-messages")]
    [InlineData("v2/items/{id}", "v2-items-id")]
    [InlineData("v1", "v1")]
    [InlineData("v1/reports/{year:int}-{month:int}", "reports-year-month")]
    public void ForRoute_GivesAStableReadableName(string route, string expected) =>
        Assert.Equal(expected, FunctionNames.ForRoute(route));

    [Theory]
    [InlineData("v1/2fa")]
    [InlineData("v1/-")]
    [InlineData("v1/2024/report")]
    public void ForRoute_RefusesRoutesThatGiveNoValidName(string route) =>
        Assert.Throws<InvalidOperationException>(() => FunctionNames.ForRoute(route));

    [Fact]
    public void ForRoute_RefusesNamesLongerThan127()
    {
        Assert.Equal(127, FunctionNames.ForRoute(new string('a', 127)).Length);
        Assert.Throws<InvalidOperationException>(() => FunctionNames.ForRoute(new string('a', 128)));
    }

    [Theory]
    [InlineData("settings-namespace-key", true)]
    [InlineData("Mission_Sweep-2", true)]
    [InlineData("2fa", false)]
    [InlineData("-x", false)]
    [InlineData("a.b", false)]
    [InlineData("a\n", false)]
    [InlineData("", false)]
    public void IsValid_FollowsTheHostsRule(string name, bool valid) => Assert.Equal(valid, FunctionNames.IsValid(name));

    [Fact]
    public void EndpointsSharingAPattern_ShareOneFunctionWithAllTheirMethodsInAFixedOrder()
    {
        var functions = HttpFunctions.From(
        [
            Endpoint("/api/v1/items/{id:guid}", "DELETE"),
            Endpoint("/api/v1/items/{id:guid}", "GET"),
            Endpoint("/api/v1/items/{id:guid}", "PUT", "PATCH"),
            Endpoint("/api/v1/items", "POST", "GET"),
        ]);

        Assert.Equal(["items", "items-id"], functions.Select(f => f.Name));
        var item = functions[1].Bindings[0];
        Assert.Equal("v1/items/{id:guid}", item.Route);
        Assert.Equal(["get", "put", "patch", "delete"], item.Methods!);
        Assert.Equal(["get", "post"], functions[0].Bindings[0].Methods!);
    }

    [Fact]
    public void AnEndpointTakingAnyMethod_LeavesMethodsOut()
    {
        var function = Assert.Single(HttpFunctions.From([Endpoint("/api/v1/echo", "GET"), Endpoint("/api/v1/echo")]));

        Assert.Null(function.Bindings[0].Methods);
        Assert.DoesNotContain("methods", function.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnEndpointAcceptingCorsPreflight_AlsoTakesOptions()
    {
        var endpoint = new RouteEndpoint(
            _ => Task.CompletedTask,
            RoutePatternFactory.Parse("/api/v1/items"),
            0,
            new EndpointMetadataCollection(new HttpMethodMetadata(["GET"], acceptCorsPreflight: true)),
            "cors");

        Assert.Equal(["get", "options"], Assert.Single(HttpFunctions.From([endpoint])).Bindings[0].Methods!);
    }

    [Fact]
    public void HostProtocolEndpoints_AreLeftOut()
    {
        var functions = HttpFunctions.From(
        [
            Endpoint("/", "GET", HostProtocolEndpoint.Instance),
            Endpoint("/Sweep", "POST", HostProtocolEndpoint.Instance),
            Endpoint("/api/health", "GET"),
        ]);

        Assert.Equal(["health"], functions.Select(f => f.Name));
    }

    [Theory]
    [InlineData("/status")]
    [InlineData("/apistatus")]
    [InlineData("/api/")]
    public void ARouteOutsideApi_FailsLoudly(string route)
    {
        var error = Assert.Throws<InvalidOperationException>(() => HttpFunctions.From([Endpoint(route, "GET")]));

        Assert.Contains(nameof(HostProtocolEndpoint), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoRoutesWithTheSameName_FailLoudly()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FunctionMetadataGenerator.Combine(
            HttpFunctions.From([Endpoint("/api/v1/a-b", "GET"), Endpoint("/api/v1/a/b", "GET")])));

        Assert.Contains("'a-b'", error.Message, StringComparison.Ordinal);
        Assert.Contains("/api/v1/a-b", error.Message, StringComparison.Ordinal);
        Assert.Contains("/api/v1/a/b", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATimerNamedLikeARoute_FailsLoudlyWhateverTheCase()
    {
        var timer = new FunctionDescription("Health", [FunctionBinding.TimerTrigger("timer", "0 */5 * * * *")], "timer job Health");

        var error = Assert.Throws<InvalidOperationException>(() => FunctionMetadataGenerator.Combine(
            HttpFunctions.From([Endpoint("/api/health", "GET")]), [timer]));

        Assert.Contains("timer job Health", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInvalidTimerName_FailsLoudly()
    {
        var timer = new FunctionDescription("9lives", [FunctionBinding.TimerTrigger("timer", "0 0 * * * *")], "timer job 9lives");

        Assert.Throws<InvalidOperationException>(() => FunctionMetadataGenerator.Combine([timer]));
    }

    [Fact]
    public void TimerFunctionJson_KeepsTheScheduleAsWritten()
    {
        var timer = new FunctionDescription("Sweep", [FunctionBinding.TimerTrigger("timer", "%Sweep:Schedule%")], "timer job Sweep");

        Assert.Equal(
            "{\n  \"bindings\": [\n    {\n      \"type\": \"timerTrigger\",\n      \"direction\": \"in\",\n      \"name\": \"timer\",\n      \"schedule\": \"%Sweep:Schedule%\"\n    }\n  ]\n}\n",
            timer.ToJson());
    }

    private static RouteEndpoint Endpoint(string pattern, params object[] methodsAndMetadata)
    {
        var methods = methodsAndMetadata.OfType<string>().ToList();
        var metadata = methodsAndMetadata.Where(m => m is not string).ToList();
        if (methods.Count > 0)
        {
            metadata.Add(new HttpMethodMetadata(methods));
        }

        return new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(pattern), 0, new EndpointMetadataCollection(metadata), pattern);
    }
}
