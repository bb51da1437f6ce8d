using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Memories;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.AgentState;

/// <summary>The memory operations as isolated-worker functions: each calls its <see cref="MemoryEndpoints"/> operation.</summary>
public sealed class MemoryFunctions(MemoryStore store, IdempotencyKeys keys, CursorProtector cursors, IOptions<JsonOptions> json)
{
    /// <summary>GET /api/v1/memories/{scope}.</summary>
    [Function(nameof(ListMemories))]
    public Task<IResult> ListMemories(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MemoryEndpoints.ScopeRoute)] HttpRequest request, string scope, CancellationToken cancellationToken) =>
        MemoryEndpoints.ListMemories(scope, request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>POST /api/v1/memories/{scope}/{namespace}.</summary>
    [Function(nameof(CreateMemory))]
    public async Task<IResult> CreateMemory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = MemoryEndpoints.NamespaceRoute)] HttpRequest request, string scope, string @namespace, CancellationToken cancellationToken) =>
        await MemoryEndpoints.CreateMemory(
            scope, @namespace, await JsonBody.ReadAsync<MemoryCreate>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, keys, json, cancellationToken);

    /// <summary>GET /api/v1/memories/{scope}/{namespace}/{key}.</summary>
    [Function(nameof(GetMemory))]
    public Task<IResult> GetMemory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MemoryEndpoints.MemoryRoute)] HttpRequest request, string scope, string @namespace, string key, CancellationToken cancellationToken) =>
        MemoryEndpoints.GetMemory(scope, @namespace, key, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>PUT /api/v1/memories/{scope}/{namespace}/{key}.</summary>
    [Function(nameof(PutMemory))]
    public async Task<IResult> PutMemory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = MemoryEndpoints.MemoryRoute)] HttpRequest request, string scope, string @namespace, string key, CancellationToken cancellationToken) =>
        await MemoryEndpoints.PutMemory(
            scope, @namespace, key, await JsonBody.ReadAsync<MemoryPut>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>DELETE /api/v1/memories/{scope}/{namespace}/{key}.</summary>
    [Function(nameof(DeleteMemory))]
    public Task<IResult> DeleteMemory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = MemoryEndpoints.MemoryRoute)] HttpRequest request, string scope, string @namespace, string key, CancellationToken cancellationToken) =>
        MemoryEndpoints.DeleteMemory(scope, @namespace, key, request, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
