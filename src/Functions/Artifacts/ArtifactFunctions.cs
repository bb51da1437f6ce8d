using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Artifacts;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Artifacts;

/// <summary>The artifact operations as isolated-worker functions: each calls its <see cref="ArtifactEndpoints"/> or <see cref="ArtifactContentEndpoint"/> operation.</summary>
public sealed class ArtifactFunctions(
    ArtifactStore store, IdempotencyKeys keys, CursorProtector cursors, IOptions<ArtifactOptions> options, TimeProvider time, IOptions<JsonOptions> json)
{
    /// <summary>POST /api/v1/artifacts.</summary>
    [Function(nameof(UploadArtifact))]
    public Task<IResult> UploadArtifact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ArtifactEndpoints.ArtifactsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        ArtifactEndpoints.UploadArtifact(request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, keys, options, time, json, cancellationToken);

    /// <summary>GET /api/v1/artifacts.</summary>
    [Function(nameof(ListArtifacts))]
    public Task<IResult> ListArtifacts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ArtifactEndpoints.ArtifactsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        ArtifactEndpoints.ListArtifacts(request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>GET /api/v1/artifacts/{id}.</summary>
    [Function(nameof(GetArtifact))]
    public Task<IResult> GetArtifact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ArtifactEndpoints.ArtifactRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        ArtifactEndpoints.GetArtifact(id, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>PATCH /api/v1/artifacts/{id}.</summary>
    [Function(nameof(PatchArtifact))]
    public async Task<IResult> PatchArtifact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = ArtifactEndpoints.ArtifactRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        await ArtifactEndpoints.PatchArtifact(
            id, await JsonBody.ReadAsync<ArtifactPatch>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, options, time, cancellationToken);

    /// <summary>DELETE /api/v1/artifacts/{id}.</summary>
    [Function(nameof(DeleteArtifact))]
    public Task<IResult> DeleteArtifact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = ArtifactEndpoints.ArtifactRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        ArtifactEndpoints.DeleteArtifact(id, request, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>GET /api/v1/artifacts/{id}/content.</summary>
    [Function(nameof(GetArtifactContent))]
    public Task<IResult> GetArtifactContent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ArtifactContentEndpoint.Route)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        ArtifactContentEndpoint.GetArtifactContent(id, request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
