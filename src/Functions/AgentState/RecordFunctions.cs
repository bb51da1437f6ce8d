using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Records;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.AgentState;

/// <summary>The record operations as isolated-worker functions: each calls its <see cref="RecordEndpoints"/> operation.</summary>
public sealed class RecordFunctions(RecordStore store, IdempotencyKeys keys, CursorProtector cursors, TimeProvider time, IOptions<JsonOptions> json, IOptions<RecordOptions> options)
{
    /// <summary>GET /api/v1/records.</summary>
    [Function(nameof(ListCollections))]
    public Task<IResult> ListCollections(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RecordEndpoints.CollectionsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        RecordEndpoints.ListCollections(CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>GET /api/v1/records/{collection}.</summary>
    [Function(nameof(ListRecords))]
    public Task<IResult> ListRecords(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RecordEndpoints.CollectionRoute)] HttpRequest request, string collection, CancellationToken cancellationToken) =>
        RecordEndpoints.ListRecords(collection, request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>POST /api/v1/records/{collection}.</summary>
    [Function(nameof(CreateRecord))]
    public async Task<IResult> CreateRecord(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RecordEndpoints.CollectionRoute)] HttpRequest request, string collection, CancellationToken cancellationToken) =>
        await RecordEndpoints.CreateRecord(
            collection, await JsonBody.ReadAsync<RecordCreate>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, keys, time, json, cancellationToken);

    /// <summary>GET /api/v1/records/{collection}/{id}.</summary>
    [Function(nameof(GetRecord))]
    public Task<IResult> GetRecord(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RecordEndpoints.RecordRoute)] HttpRequest request, string collection, string id, CancellationToken cancellationToken) =>
        RecordEndpoints.GetRecord(collection, id, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>PUT /api/v1/records/{collection}/{id}.</summary>
    [Function(nameof(PutRecord))]
    public async Task<IResult> PutRecord(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = RecordEndpoints.RecordRoute)] HttpRequest request, string collection, string id, CancellationToken cancellationToken) =>
        await RecordEndpoints.PutRecord(
            collection, id, await JsonBody.ReadAsync<RecordPut>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, time, cancellationToken);

    /// <summary>PATCH /api/v1/records/{collection}/{id}.</summary>
    [Function(nameof(PatchRecord))]
    public async Task<IResult> PatchRecord(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = RecordEndpoints.RecordRoute)] HttpRequest request, string collection, string id, CancellationToken cancellationToken) =>
        await RecordEndpoints.PatchRecord(
            collection, id, await RecordPatch.ReadAsync(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, time, cancellationToken);

    /// <summary>DELETE /api/v1/records/{collection}/{id}.</summary>
    [Function(nameof(DeleteRecord))]
    public Task<IResult> DeleteRecord(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = RecordEndpoints.RecordRoute)] HttpRequest request, string collection, string id, CancellationToken cancellationToken) =>
        RecordEndpoints.DeleteRecord(collection, id, request, CurrentUser.From(request.HttpContext), store, options, cancellationToken);

    /// <summary>POST /api/v1/records/{collection}/{id}/increment.</summary>
    [Function(nameof(IncrementCounter))]
    public async Task<IResult> IncrementCounter(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RecordEndpoints.IncrementRoute)] HttpRequest request, string collection, string id, CancellationToken cancellationToken) =>
        await RecordEndpoints.IncrementCounter(
            collection, id, await JsonBody.ReadAsync<CounterIncrement>(request, cancellationToken), request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, time, cancellationToken);
}
