using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Conversations;

namespace Serverless.Functions.Conversations;

/// <summary>
/// The body of <c>PATCH /api/v1/threads/{threadId}</c>: a JSON object with any of <c>title</c> (string or
/// null), <c>metadata</c> (object or null), <c>starred</c> and <c>archived</c> (booleans); absent fields stay.
/// Kept as JSON, since "absent" and "null" mean different things.
/// </summary>
/// <param name="Fields">The body as sent.</param>
public sealed record ThreadPatch(JsonElement Fields) : IBindableFromHttpContext<ThreadPatch>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; the function calls <see cref="ReadAsync"/>).</summary>
    public static async ValueTask<ThreadPatch?> BindAsync(HttpContext context, ParameterInfo parameter) => await ReadAsync(context.Request, context.RequestAborted);

    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async Task<ThreadPatch> ReadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        new(await JsonBody.ReadAsync<JsonElement>(request, cancellationToken));
}

/// <summary>The body of <c>POST /api/v1/threads</c>.</summary>
/// <param name="Id">The thread id to use (1-64 of A-Z a-z 0-9 _ -); generated when absent.</param>
/// <param name="Title">The title (at most 512 characters).</param>
/// <param name="Metadata">A JSON object of client metadata (at most 4,096 characters serialized).</param>
/// <param name="Starred">Whether it starts starred.</param>
/// <param name="Archived">Whether it starts archived.</param>
public sealed record ThreadCreate(string? Id, string? Title, JsonElement? Metadata, bool? Starred, bool? Archived) : IBindableFromHttpContext<ThreadCreate>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<ThreadCreate?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<ThreadCreate>(context.Request, context.RequestAborted);
}

/// <summary>The body of <c>POST /api/v1/threads/{threadId}/fork</c>.</summary>
/// <param name="AtSequence">The fork point: the fork shows the parent's messages up to and including this sequence number (0 for none).</param>
/// <param name="Id">The fork's id; generated when absent.</param>
/// <param name="Title">The fork's title; the parent's when absent.</param>
public sealed record ForkCreate(long? AtSequence, string? Id, string? Title) : IBindableFromHttpContext<ForkCreate>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<ForkCreate?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<ForkCreate>(context.Request, context.RequestAborted);
}

/// <summary>A thread as the API returns it.</summary>
/// <param name="Id">The thread id.</param>
/// <param name="Title">The title, or null.</param>
/// <param name="Metadata">Client metadata, or null.</param>
/// <param name="Starred">Starred.</param>
/// <param name="Archived">Archived.</param>
/// <param name="CreatedAt">Creation time (UTC).</param>
/// <param name="UpdatedAt">Last change (UTC).</param>
/// <param name="LastActivityAt">Last append, else creation (UTC).</param>
/// <param name="DeletedAt">Soft-deletion time, or null.</param>
/// <param name="MessageCount">Own messages (not inherited from a fork parent).</param>
/// <param name="NextSequence">The sequence number the next message gets.</param>
/// <param name="PromptTokens">Prompt tokens of own messages.</param>
/// <param name="CompletionTokens">Completion tokens of own messages.</param>
/// <param name="Cost">Cost of own messages.</param>
/// <param name="ParentThreadId">The thread it was forked from, or null.</param>
/// <param name="ForkSequence">The parent's last message it shows, or null.</param>
/// <param name="ArchivedThrough">
/// The last sequence number of its own messages packed into archive segments (sealed by
/// <c>archived: true</c>), or null when none are; reads are the same either way.
/// </param>
/// <param name="Unreadable">
/// The fields whose stored value could not be read (served as null), e.g. <c>["metadata"]</c>; null when every field read
/// (see <see cref="StoredJson"/>).
/// </param>
public sealed record ThreadView(
    string Id,
    string? Title,
    JsonElement? Metadata,
    bool Starred,
    bool Archived,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset LastActivityAt,
    DateTimeOffset? DeletedAt,
    long MessageCount,
    long NextSequence,
    long PromptTokens,
    long CompletionTokens,
    double Cost,
    string? ParentThreadId,
    long? ForkSequence,
    long? ArchivedThrough,
    IReadOnlyList<string>? Unreadable)
{
    /// <summary>Maps a stored thread to its API view.</summary>
    public static ThreadView From(ThreadRecord t)
    {
        var metadataRead = StoredJson.TryParse(t.MetadataJson, out var metadata);
        return new(
            t.Id,
            t.Title,
            metadata,
            t.Starred,
            t.Archived,
            t.CreatedAt,
            t.UpdatedAt,
            t.LastActivityAt,
            t.DeletedAt,
            t.MessageCount,
            t.NextSequence,
            t.PromptTokens,
            t.CompletionTokens,
            t.Cost,
            t.Lineage.Parent?.ThreadId,
            t.Lineage.Parent?.LastSequence,
            t.HasSealed ? t.SealedThrough : null,
            StoredJson.Unreadable(("metadata", metadataRead)));
    }
}
