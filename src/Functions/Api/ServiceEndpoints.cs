using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Api;

/// <summary>The anonymous service operations: health (liveness), readiness (storage answers) and the OpenAPI document.</summary>
public static class ServiceEndpoints
{
    /// <summary>Health, relative to the <c>api</c> route prefix (as the function's route is).</summary>
    public const string HealthRoute = "health";

    /// <summary>Readiness, relative to the <c>api</c> route prefix.</summary>
    public const string ReadyRoute = "ready";

    /// <summary>The OpenAPI document.</summary>
    public const string OpenApiRoute = "v1/openapi.json";

    /// <summary>The health answer (liveness).</summary>
    /// <param name="Status">Always <c>ok</c>: the app answers. It does not touch storage, so a storage outage does not make the platform restart it.</param>
    public sealed record HealthView(string Status);

    /// <summary>The readiness answer.</summary>
    /// <param name="Status">Always <c>ready</c> (not ready is a 503 problem).</param>
    /// <param name="CheckedAt">When storage last answered the probe (cached for a few seconds).</param>
    public sealed record ReadyView(string Status, DateTimeOffset CheckedAt);

    /// <summary>Maps the operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var service = api.MapGroup(string.Empty).WithTags("Service");
        service.MapGet(HealthRoute, Health).WithName(nameof(ServiceFunctions.Health)).WithSummary("Says the app is up (anonymous).").Answers<HealthView>();
        service.MapGet(ReadyRoute, Ready).WithName(nameof(ServiceFunctions.Ready))
            .WithSummary("Says whether storage answers: 200, or 503 while it does not (anonymous; probed at most every few seconds).").Answers<ReadyView>().ProducesProblems(503);
        service.MapGet(OpenApiRoute, GetOpenApiDocument).WithName(nameof(ServiceFunctions.GetOpenApiDocument))
            .WithSummary("This OpenAPI 3.1 document (anonymous).").Answers<object>();
    }

    /// <summary>GET health.</summary>
    public static IResult Health() => TypedResults.Ok(new HealthView("ok"));

    /// <summary>GET readiness: whether storage answered a probe, at most <see cref="StorageProbe.CacheFor"/> ago.</summary>
    public static async Task<IResult> Ready(HttpResponse response, StorageProbe probe)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(probe);
        var state = await probe.CheckAsync();
        if (state.Ready)
        {
            return TypedResults.Ok(new ReadyView("ready", state.CheckedAt));
        }

        response.Headers.RetryAfter = "5";
        return Problems.Result(StatusCodes.Status503ServiceUnavailable, ProblemCodes.StorageUnavailable, "Storage is not available.", state.Problem);
    }

    /// <summary>GET the OpenAPI document.</summary>
    public static async Task<IResult> GetOpenApiDocument(OpenApiDocumentSource document) =>
        TypedResults.Text(await document.GetJsonAsync(), "application/json", System.Text.Encoding.UTF8);
}
