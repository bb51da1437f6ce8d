using Serverless.Functions.Api.OpenApi;

namespace Serverless.Functions.Api;

/// <summary>The anonymous service operations: health and the OpenAPI document.</summary>
public static class ServiceEndpoints
{
    /// <summary>Health, relative to the <c>api</c> route prefix (as the function's route is).</summary>
    public const string HealthRoute = "health";

    /// <summary>The OpenAPI document.</summary>
    public const string OpenApiRoute = "v1/openapi.json";

    /// <summary>The health answer.</summary>
    /// <param name="Status">Always <c>ok</c>: the app answers. It does not touch storage, so a storage outage does not make the platform restart it.</param>
    public sealed record HealthView(string Status);

    /// <summary>Maps the operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var service = api.MapGroup(string.Empty).WithTags("Service");
        service.MapGet(HealthRoute, Health).WithName(nameof(ServiceFunctions.Health)).WithSummary("Says the app is up (anonymous).").Answers<HealthView>();
        service.MapGet(OpenApiRoute, GetOpenApiDocument).WithName(nameof(ServiceFunctions.GetOpenApiDocument))
            .WithSummary("This OpenAPI 3.1 document (anonymous).").Answers<object>();
    }

    /// <summary>GET health.</summary>
    public static IResult Health() => TypedResults.Ok(new HealthView("ok"));

    /// <summary>GET the OpenAPI document.</summary>
    public static async Task<IResult> GetOpenApiDocument(OpenApiDocumentSource document) =>
        TypedResults.Text(await document.GetJsonAsync(), "application/json", System.Text.Encoding.UTF8);
}
