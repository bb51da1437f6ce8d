using System.Globalization;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage.Conversations;

namespace Serverless.Functions.Conversations;

/// <summary>
/// Messages of a thread: <c>/api/v1/threads/{threadId}/messages</c>. Appends are atomic and
/// idempotent per client message id; a fork's list includes its ancestors' messages up to the fork point.
/// </summary>
public static class MessageEndpoints
{
    /// <summary>Body limit of a single append: one message of up to 1,000,000 characters of content and of tool calls, JSON-escaped.</summary>
    public const long SingleAppendBodyBytes = 8L * 1024 * 1024;

    /// <summary>Body limit of a batch append (the global 1 MiB is too small for 97 messages).</summary>
    public const long BatchAppendBodyBytes = 16L * 1024 * 1024;

    /// <summary>A thread's messages, relative to the <c>api</c> route prefix (as the functions' routes are).</summary>
    public const string MessagesRoute = "v1/threads/{threadId}/messages";

    /// <summary>A thread's batch append.</summary>
    public const string BatchRoute = "v1/threads/{threadId}/messages/batch";

    /// <summary>One message, by sequence number.</summary>
    public const string MessageRoute = "v1/threads/{threadId}/messages/{sequence:long}";

    /// <summary>A message's redaction.</summary>
    public const string RedactRoute = "v1/threads/{threadId}/messages/{sequence:long}/redact";

    /// <summary>
    /// What a single append answers. It differs from the batch on purpose: a single append creates one resource and
    /// answers it, as every other create does (its Location names it); a batch creates many, and its answer carries the
    /// thread they changed with them. Kept as documented rather than aligned: both shapes are in use by clients.
    /// </summary>
    public const string SingleAppendAnswer =
        "Answers the appended message itself (201 with Location naming it; 200 with the same message when its client id or Idempotency-Key replays an earlier append). "
        + "Unlike POST .../messages/batch, which answers {thread, messages}: read the thread (GET /threads/{id}) for its counters after a single append.";

    /// <summary>What a batch append answers (see <see cref="SingleAppendAnswer"/>).</summary>
    public const string BatchAppendAnswer =
        "Answers {thread, messages}: the thread after the append (counters, ETag) and the appended messages in order; Location names the first message. "
        + "Unlike POST .../messages, which answers the one message itself.";

    /// <summary>Maps the message operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder threads)
    {
        threads.MapPost(MessagesRoute, AppendMessage).WithName(nameof(MessageFunctions.AppendMessage)).WithSummary("Appends one message (idempotent by its client id).")
            .WithDescription(SingleAppendAnswer)
            .Reads<MessageWrite>().Answers<MessageView>(StatusCodes.Status201Created).Answers<MessageView>().WithApiHeaders(ApiHeaders.Location).ProducesProblems(400, 404, 409);
        threads.MapPost(BatchRoute, AppendMessages).WithName(nameof(MessageFunctions.AppendMessages)).WithSummary("Appends up to 97 messages atomically (messages + client ids ≤ 97).")
            .WithDescription(BatchAppendAnswer)
            .Reads<MessageBatchWrite>().Answers<AppendView>(StatusCodes.Status201Created).Answers<AppendView>().WithApiHeaders(ApiHeaders.Location).ProducesProblems(400, 404, 409);
        threads.MapGet(MessagesRoute, ListMessages).WithName(nameof(MessageFunctions.ListMessages)).WithSummary("Lists messages by sequence number (order=asc|desc), fork ancestry included.")
            .Answers<ListPage<MessageView>>().WithListQuery(ListOrder.Both).ProducesProblems(400, 404);
        threads.MapGet(MessageRoute, GetMessage).WithName(nameof(MessageFunctions.GetMessage)).WithSummary("Reads one message.")
            .Answers<MessageView>().ProducesProblems(400, 404);
        threads.MapDelete(MessageRoute, DeleteMessage).WithName(nameof(MessageFunctions.DeleteMessage)).WithSummary("Deletes one of the thread's own messages.")
            .AnswersNoContent().ProducesProblems(400, 404, 409);
        threads.MapPost(RedactRoute, RedactMessage).WithName(nameof(MessageFunctions.RedactMessage)).WithSummary("Removes a message's content and tool calls, keeping its place and usage.")
            .Answers<MessageView>().ProducesProblems(400, 404, 409);
    }

    /// <summary>POST one message.</summary>
    public static async Task<IResult> AppendMessage(string threadId, MessageWrite body, CurrentUser user, MessageStore store, CancellationToken cancellationToken)
    {
        if (ThreadEndpoints.InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        if (ConversationValidation.Message(errors, string.Empty, body) is not { } message)
        {
            return Problems.Validation(errors);
        }

        return await AppendAsync(threadId, [message], user, store, single: true, cancellationToken);
    }

    /// <summary>POST a batch of messages.</summary>
    public static async Task<IResult> AppendMessages(string threadId, MessageBatchWrite body, CurrentUser user, MessageStore store, CancellationToken cancellationToken)
    {
        if (ThreadEndpoints.InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        if (ConversationValidation.Batch(errors, body.Messages) is not { } messages)
        {
            return Problems.Validation(errors);
        }

        return await AppendAsync(threadId, messages, user, store, single: false, cancellationToken);
    }

    /// <summary>GET a page of messages.</summary>
    public static async Task<IResult> ListMessages(string threadId, HttpRequest request, CurrentUser user, ThreadStore threads, MessageStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (ThreadEndpoints.InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        if (!ListQuery.TryParse(request, defaultDescending: false, out var query, out var problem))
        {
            return problem!;
        }

        var scope = $"messages:{threadId}:{(query.Descending ? "desc" : "asc")}";
        string? cursor = null;
        long? after = null;
        if (query.Cursor is not null)
        {
            if (!cursors.TryUnprotect(user.UserId, scope, query.Cursor, out cursor) || !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return Problems.InvalidCursor();
            }

            after = parsed;
        }

        var thread = await threads.GetAsync(user.Partition, threadId, cancellationToken);
        if (thread is null || thread.IsDeleted)
        {
            return Problems.NotFound("thread");
        }

        var (items, next) = await store.ListAsync(user.Partition, thread, query.Descending, query.Limit, after, cancellationToken);

        // The cursor carries a sequence number (signed, bound to the user, the thread and the order).
        var nextCursor = cursors.Protect(user.UserId, scope, next?.ToString(CultureInfo.InvariantCulture));
        return TypedResults.Ok(new ListPage<MessageView>(items.Select(MessageView.From).ToList(), nextCursor));
    }

    /// <summary>GET one message.</summary>
    public static async Task<IResult> GetMessage(string threadId, long sequence, CurrentUser user, ThreadStore threads, MessageStore store, CancellationToken cancellationToken)
    {
        if (ThreadEndpoints.InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var thread = await threads.GetAsync(user.Partition, threadId, cancellationToken);
        var message = thread is null || thread.IsDeleted ? null : await store.GetAsync(user.Partition, thread, sequence, cancellationToken);
        return message is null ? MissingMessage(sequence) : TypedResults.Ok(MessageView.From(message));
    }

    /// <summary>DELETE one message.</summary>
    public static async Task<IResult> DeleteMessage(string threadId, long sequence, CurrentUser user, MessageStore store, CancellationToken cancellationToken)
    {
        if (ThreadEndpoints.InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        try
        {
            return await store.DeleteAsync(user.Partition, threadId, sequence, cancellationToken) ? TypedResults.NoContent() : MissingMessage(sequence);
        }
        catch (InvalidOperationException)
        {
            return InheritedMessage();
        }
    }

    /// <summary>POST a redaction of one message.</summary>
    public static async Task<IResult> RedactMessage(string threadId, long sequence, CurrentUser user, ThreadStore threads, MessageStore store, CancellationToken cancellationToken)
    {
        if (ThreadEndpoints.InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var thread = await threads.GetAsync(user.Partition, threadId, cancellationToken);
        if (thread is null || thread.IsDeleted)
        {
            return MissingMessage(sequence);
        }

        try
        {
            var message = await store.RedactAsync(user.Partition, thread, sequence, cancellationToken);
            return message is null ? MissingMessage(sequence) : TypedResults.Ok(MessageView.From(message));
        }
        catch (InvalidOperationException)
        {
            return InheritedMessage();
        }
    }

    private static IResult MissingMessage(long sequence) =>
        Problems.Result(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found.", $"No message with sequence {sequence.ToString(CultureInfo.InvariantCulture)}.");

    private static IResult InheritedMessage() => Problems.Conflict("The message belongs to the thread this one was forked from; change it there, or fork before it and append.");

    private static async Task<IResult> AppendAsync(string threadId, IReadOnlyList<NewMessage> messages, CurrentUser user, MessageStore store, bool single, CancellationToken cancellationToken)
    {
        AppendResult? result;
        try
        {
            result = await store.AppendAsync(user.Partition, threadId, messages, cancellationToken);
        }
        catch (ClientMessageIdConflictException e)
        {
            return Problems.Conflict(e.Message);
        }

        if (result is null)
        {
            return Problems.NotFound("thread");
        }

        var views = result.Messages.Select(MessageView.From).ToList();
        var location = $"/api/v1/threads/{threadId}/messages/{views[0].Sequence.ToString(CultureInfo.InvariantCulture)}";
        object body = single ? views[0] : new AppendView(ThreadView.From(result.Thread), views);
        return result.Replayed ? TypedResults.Ok(body) : TypedResults.Created(location, body);
    }
}
