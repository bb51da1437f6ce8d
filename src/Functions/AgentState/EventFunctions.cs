using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Events;
using Serverless.Storage.Usage;

namespace Serverless.Functions.AgentState;

/// <summary>The event and usage operations as isolated-worker functions: each calls its <see cref="EventEndpoints"/> operation.</summary>
public sealed class EventFunctions(EventStore store, UsageStore usage, CursorProtector cursors, TimeProvider time)
{
    /// <summary>POST /api/v1/events.</summary>
    [Function(nameof(AppendEvents))]
    public async Task<IResult> AppendEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = EventEndpoints.EventsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        await EventEndpoints.AppendEvents(await JsonBody.ReadAsync<EventBatch>(request, cancellationToken), CurrentUser.From(request.HttpContext), store, time, cancellationToken);

    /// <summary>GET /api/v1/events.</summary>
    [Function(nameof(ListEvents))]
    public Task<IResult> ListEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = EventEndpoints.EventsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        EventEndpoints.ListEvents(request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>GET /api/v1/usage.</summary>
    [Function(nameof(GetUsage))]
    public Task<IResult> GetUsage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = EventEndpoints.UsageRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        EventEndpoints.GetUsage(request, CurrentUser.From(request.HttpContext), usage, time, cancellationToken);
}
