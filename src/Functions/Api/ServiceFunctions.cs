using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Api;

/// <summary>The service operations as isolated-worker functions: each calls its <see cref="ServiceEndpoints"/> operation.</summary>
public sealed class ServiceFunctions(OpenApiDocumentSource document, StorageProbe probe)
{
    /// <summary>GET /api/health.</summary>
    [Function(nameof(Health))]
    public IResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ServiceEndpoints.HealthRoute)] HttpRequest request) => ServiceEndpoints.Health();

    /// <summary>GET /api/ready.</summary>
    [Function(nameof(Ready))]
    public Task<IResult> Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ServiceEndpoints.ReadyRoute)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ServiceEndpoints.Ready(request.HttpContext.Response, probe);
    }

    /// <summary>GET /api/v1/openapi.json.</summary>
    [Function(nameof(GetOpenApiDocument))]
    public Task<IResult> GetOpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ServiceEndpoints.OpenApiRoute)] HttpRequest request) =>
        ServiceEndpoints.GetOpenApiDocument(document);
}
