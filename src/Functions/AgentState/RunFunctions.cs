using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Runs;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.AgentState;

/// <summary>The run operations as isolated-worker functions: each calls its <see cref="RunEndpoints"/> operation.</summary>
public sealed class RunFunctions(RunStore store, IdempotencyKeys keys, CursorProtector cursors, TimeProvider time, IOptions<JsonOptions> json)
{
    /// <summary>POST /api/v1/runs.</summary>
    [Function(nameof(CreateRun))]
    public async Task<IResult> CreateRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RunEndpoints.RunsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        await RunEndpoints.CreateRun(
            await JsonBody.ReadAsync<RunCreate>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, keys, time, json, cancellationToken);

    /// <summary>GET /api/v1/runs.</summary>
    [Function(nameof(ListRuns))]
    public Task<IResult> ListRuns(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RunEndpoints.RunsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        RunEndpoints.ListRuns(request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>GET /api/v1/runs/counts.</summary>
    [Function(nameof(GetRunCounts))]
    public Task<IResult> GetRunCounts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RunEndpoints.CountsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        RunEndpoints.GetRunCounts(CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>GET /api/v1/runs/{runId}.</summary>
    [Function(nameof(GetRun))]
    public Task<IResult> GetRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RunEndpoints.RunRoute)] HttpRequest request, string runId, CancellationToken cancellationToken) =>
        RunEndpoints.GetRun(runId, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>PATCH /api/v1/runs/{runId}.</summary>
    [Function(nameof(PatchRun))]
    public async Task<IResult> PatchRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = RunEndpoints.RunRoute)] HttpRequest request, string runId, CancellationToken cancellationToken) =>
        await RunEndpoints.PatchRun(
            runId, await JsonBody.ReadAsync<RunChange>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
