using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Integrations;

namespace Serverless.Functions.Integrations;

/// <summary>The integration operations as isolated-worker functions: each calls its <see cref="IntegrationEndpoints"/> operation.</summary>
public sealed class IntegrationFunctions(IntegrationStore store, IntegrationSecrets secrets, CursorProtector cursors, TimeProvider time)
{
    /// <summary>GET /api/v1/integrations.</summary>
    [Function(nameof(ListIntegrations))]
    public Task<IResult> ListIntegrations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = IntegrationEndpoints.IntegrationsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        IntegrationEndpoints.ListIntegrations(request, CurrentUser.From(request.HttpContext), store, secrets, cursors, cancellationToken);

    /// <summary>GET /api/v1/integrations/{provider}.</summary>
    [Function(nameof(GetIntegration))]
    public Task<IResult> GetIntegration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = IntegrationEndpoints.IntegrationRoute)] HttpRequest request, string provider, CancellationToken cancellationToken) =>
        IntegrationEndpoints.GetIntegration(provider, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, secrets, cancellationToken);

    /// <summary>PUT /api/v1/integrations/{provider}.</summary>
    [Function(nameof(PutIntegration))]
    public async Task<IResult> PutIntegration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = IntegrationEndpoints.IntegrationRoute)] HttpRequest request, string provider, CancellationToken cancellationToken) =>
        await IntegrationEndpoints.PutIntegration(
            provider, await JsonBody.ReadAsync<IntegrationWrite>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, secrets, time, cancellationToken);

    /// <summary>DELETE /api/v1/integrations/{provider}.</summary>
    [Function(nameof(DeleteIntegration))]
    public Task<IResult> DeleteIntegration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = IntegrationEndpoints.IntegrationRoute)] HttpRequest request, string provider, CancellationToken cancellationToken) =>
        IntegrationEndpoints.DeleteIntegration(provider, request, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
