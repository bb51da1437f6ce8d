using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Conversations;

/// <summary>The thread operations as isolated-worker functions: each calls its <see cref="ThreadEndpoints"/> operation.</summary>
public sealed class ThreadFunctions(
    ThreadStore store, SummaryStore summaries, ThreadArchiver archiver, IdempotencyKeys keys, CursorProtector cursors,
    TimeProvider time, IOptions<JsonOptions> json, IOptions<ConversationOptions> options, ExpiryIndex expiry)
{
    /// <summary>POST /api/v1/threads.</summary>
    [Function(nameof(CreateThread))]
    public async Task<IResult> CreateThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ThreadEndpoints.ThreadsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        await ThreadEndpoints.CreateThread(
            await JsonBody.ReadAsync<ThreadCreate>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, keys, time, json, cancellationToken);

    /// <summary>GET /api/v1/threads.</summary>
    [Function(nameof(ListThreads))]
    public Task<IResult> ListThreads(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ThreadEndpoints.ThreadsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        ThreadEndpoints.ListThreads(request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>GET /api/v1/threads/{threadId}.</summary>
    [Function(nameof(GetThread))]
    public Task<IResult> GetThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ThreadEndpoints.ThreadRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        ThreadEndpoints.GetThread(threadId, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>PATCH /api/v1/threads/{threadId}.</summary>
    [Function(nameof(PatchThread))]
    public async Task<IResult> PatchThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = ThreadEndpoints.ThreadRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        await ThreadEndpoints.PatchThread(
            threadId, await ThreadPatch.ReadAsync(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, archiver, options, cancellationToken);

    /// <summary>DELETE /api/v1/threads/{threadId}.</summary>
    [Function(nameof(DeleteThread))]
    public Task<IResult> DeleteThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = ThreadEndpoints.ThreadRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        ThreadEndpoints.DeleteThread(threadId, request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>POST /api/v1/threads/{threadId}/restore.</summary>
    [Function(nameof(RestoreThread))]
    public Task<IResult> RestoreThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ThreadEndpoints.RestoreRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        ThreadEndpoints.RestoreThread(threadId, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, expiry, cancellationToken);

    /// <summary>POST /api/v1/threads/{threadId}/fork.</summary>
    [Function(nameof(ForkThread))]
    public async Task<IResult> ForkThread(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ThreadEndpoints.ForkRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        await ThreadEndpoints.ForkThread(
            threadId, await JsonBody.ReadAsync<ForkCreate>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, keys, time, json, cancellationToken);

    /// <summary>GET /api/v1/threads/{threadId}/summary.</summary>
    [Function(nameof(GetThreadSummary))]
    public Task<IResult> GetThreadSummary(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ThreadEndpoints.SummaryRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        ThreadEndpoints.GetSummary(threadId, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, summaries, cancellationToken);

    /// <summary>PUT /api/v1/threads/{threadId}/summary.</summary>
    [Function(nameof(PutThreadSummary))]
    public async Task<IResult> PutThreadSummary(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = ThreadEndpoints.SummaryRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        await ThreadEndpoints.PutSummary(
            threadId, await JsonBody.ReadAsync<SummaryWrite>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, summaries, cancellationToken);
}
