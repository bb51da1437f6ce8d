using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Conversations;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Conversations;

/// <summary>
/// The message and transcript operations as isolated-worker functions: each calls its
/// <see cref="MessageEndpoints"/> or <see cref="TranscriptEndpoint"/> operation.
/// </summary>
public sealed class MessageFunctions(ThreadStore threads, MessageStore store, CursorProtector cursors, IOptions<JsonOptions> json)
{
    /// <summary>POST /api/v1/threads/{threadId}/messages.</summary>
    [Function(nameof(AppendMessage))]
    public async Task<IResult> AppendMessage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = MessageEndpoints.MessagesRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        await MessageEndpoints.AppendMessage(threadId, await JsonBody.ReadAsync<MessageWrite>(request, cancellationToken), CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>POST /api/v1/threads/{threadId}/messages/batch.</summary>
    [Function(nameof(AppendMessages))]
    public async Task<IResult> AppendMessages(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = MessageEndpoints.BatchRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        await MessageEndpoints.AppendMessages(threadId, await JsonBody.ReadAsync<MessageBatchWrite>(request, cancellationToken), CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>GET /api/v1/threads/{threadId}/messages.</summary>
    [Function(nameof(ListMessages))]
    public Task<IResult> ListMessages(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MessageEndpoints.MessagesRoute)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        MessageEndpoints.ListMessages(threadId, request, CurrentUser.From(request.HttpContext), threads, store, cursors, cancellationToken);

    /// <summary>GET /api/v1/threads/{threadId}/messages/{sequence}.</summary>
    [Function(nameof(GetMessage))]
    public Task<IResult> GetMessage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = MessageEndpoints.MessageRoute)] HttpRequest request, string threadId, long sequence, CancellationToken cancellationToken) =>
        MessageEndpoints.GetMessage(threadId, sequence, CurrentUser.From(request.HttpContext), threads, store, cancellationToken);

    /// <summary>DELETE /api/v1/threads/{threadId}/messages/{sequence}.</summary>
    [Function(nameof(DeleteMessage))]
    public Task<IResult> DeleteMessage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = MessageEndpoints.MessageRoute)] HttpRequest request, string threadId, long sequence, CancellationToken cancellationToken) =>
        MessageEndpoints.DeleteMessage(threadId, sequence, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>POST /api/v1/threads/{threadId}/messages/{sequence}/redact.</summary>
    [Function(nameof(RedactMessage))]
    public Task<IResult> RedactMessage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = MessageEndpoints.RedactRoute)] HttpRequest request, string threadId, long sequence, CancellationToken cancellationToken) =>
        MessageEndpoints.RedactMessage(threadId, sequence, CurrentUser.From(request.HttpContext), threads, store, cancellationToken);

    /// <summary>GET /api/v1/threads/{threadId}/transcript.</summary>
    [Function(nameof(GetTranscript))]
    public Task<IResult> GetTranscript(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = TranscriptEndpoint.Route)] HttpRequest request, string threadId, CancellationToken cancellationToken) =>
        TranscriptEndpoint.GetTranscript(threadId, request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), threads, store, json, cancellationToken);
}
