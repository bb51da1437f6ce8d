using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Memories;

namespace Serverless.Functions.AgentState;

/// <summary>Where a memory came from.</summary>
/// <param name="ThreadId">The thread.</param>
/// <param name="MessageSequence">The message's sequence number in it.</param>
public sealed record MemorySource(string? ThreadId, long? MessageSequence);

/// <summary>The body of <c>PUT /api/v1/memories/{scope}/{namespace}/{key}</c>.</summary>
/// <param name="Value">The value: text (a JSON string) or any JSON, at most 32 KiB serialized.</param>
/// <param name="Tags">Up to 16 tags of 1 to 64 characters.</param>
/// <param name="Source">Where it came from.</param>
public sealed record MemoryPut(JsonElement Value, IReadOnlyList<string>? Tags, MemorySource? Source) : IBindableFromHttpContext<MemoryPut>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<MemoryPut?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<MemoryPut>(context.Request, context.RequestAborted);
}

/// <summary>The body of <c>POST /api/v1/memories/{scope}/{namespace}</c>: a memory under a new key.</summary>
/// <param name="Key">The key (1 to 128 of <c>A-Z a-z 0-9 . _ : -</c>); generated when absent.</param>
/// <param name="Value">The value: text or any JSON, at most 32 KiB serialized.</param>
/// <param name="Tags">Up to 16 tags.</param>
/// <param name="Source">Where it came from.</param>
public sealed record MemoryCreate(string? Key, JsonElement Value, IReadOnlyList<string>? Tags, MemorySource? Source) : IBindableFromHttpContext<MemoryCreate>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<MemoryCreate?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<MemoryCreate>(context.Request, context.RequestAborted);
}

/// <summary>A memory as the API returns it.</summary>
/// <param name="Scope"><c>user</c>, <c>space:{id}</c> or <c>app:{id}</c>.</param>
/// <param name="Namespace">The dot-separated namespace path.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
/// <param name="Tags">Tags.</param>
/// <param name="Source">Where it came from, or null.</param>
/// <param name="CreatedAt">When it was first written (UTC).</param>
/// <param name="UpdatedAt">When it was last written (UTC).</param>
public sealed record MemoryView(string Scope, string Namespace, string Key, JsonElement Value, IReadOnlyList<string> Tags, MemorySource? Source, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>Maps a stored memory.</summary>
    public static MemoryView From(MemoryRecord m) => new(
        m.Scope, m.Namespace, m.Key, AgentValidation.Element(m.Write.ValueJson)!.Value, m.Write.Tags,
        m.Write.SourceThreadId is null && m.Write.SourceMessageSequence is null ? null : new MemorySource(m.Write.SourceThreadId, m.Write.SourceMessageSequence),
        m.CreatedAt, m.UpdatedAt);
}
