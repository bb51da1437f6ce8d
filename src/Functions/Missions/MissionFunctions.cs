using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Functions.Integrations;
using Serverless.Storage.Missions;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Missions;

/// <summary>The mission operations as isolated-worker functions: each calls its <see cref="MissionEndpoints"/> operation.</summary>
public sealed class MissionFunctions(
    MissionStore store, MissionFiring firing, MissionSecretProtector protector, IntegrationSecrets integrations, CursorProtector cursors, IdempotencyKeys keys,
    IOptions<MissionOptions> options, IOptions<JsonOptions> json, TimeProvider time)
{
    /// <summary>GET /api/v1/missions.</summary>
    [Function(nameof(ListMissions))]
    public Task<IResult> ListMissions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MissionEndpoints.MissionsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        MissionEndpoints.ListMissions(request, CurrentUser.From(request.HttpContext), store, protector, cursors, cancellationToken);

    /// <summary>POST /api/v1/missions.</summary>
    [Function(nameof(CreateMission))]
    public async Task<IResult> CreateMission(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = MissionEndpoints.MissionsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        await MissionEndpoints.CreateMission(
            await JsonBody.ReadAsync<MissionWrite>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, firing, protector,
            integrations, keys, options, json, time, cancellationToken);

    /// <summary>GET /api/v1/missions/{id}.</summary>
    [Function(nameof(GetMission))]
    public Task<IResult> GetMission(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MissionEndpoints.MissionRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        MissionEndpoints.GetMission(id, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, protector, cancellationToken);

    /// <summary>PUT /api/v1/missions/{id}.</summary>
    [Function(nameof(PutMission))]
    public async Task<IResult> PutMission(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = MissionEndpoints.MissionRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        await MissionEndpoints.PutMission(
            id, await JsonBody.ReadAsync<MissionWrite>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, firing, protector,
            integrations, options, time, cancellationToken);

    /// <summary>DELETE /api/v1/missions/{id}.</summary>
    [Function(nameof(DeleteMission))]
    public Task<IResult> DeleteMission(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = MissionEndpoints.MissionRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        MissionEndpoints.DeleteMission(id, request, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>POST /api/v1/missions/{id}/rotate-secret.</summary>
    [Function(nameof(RotateMissionSecret))]
    public Task<IResult> RotateMissionSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = MissionEndpoints.RotateSecretRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        MissionEndpoints.RotateSecret(id, request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, firing, protector, options, cancellationToken);

    /// <summary>POST /api/v1/missions/{id}/run.</summary>
    [Function(nameof(RunMission))]
    public Task<IResult> RunMission(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = MissionEndpoints.RunRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        MissionEndpoints.RunMission(id, CurrentUser.From(request.HttpContext), firing, cancellationToken);

    /// <summary>GET /api/v1/missions/{id}/runs.</summary>
    [Function(nameof(ListMissionRuns))]
    public Task<IResult> ListMissionRuns(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MissionEndpoints.RunsRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        MissionEndpoints.ListRuns(id, request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>GET /api/v1/missions/{id}/runs/{runId}/response.</summary>
    [Function(nameof(GetMissionRunResponse))]
    public Task<IResult> GetMissionRunResponse(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MissionEndpoints.RunResponseRoute)] HttpRequest request, string id, string runId, CancellationToken cancellationToken) =>
        MissionEndpoints.GetRunResponse(id, runId, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
