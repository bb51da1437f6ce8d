using Azure;

namespace Serverless.Storage.Memories;

/// <summary>What a memory write stores.</summary>
/// <param name="ValueJson">The value as JSON (a string for text).</param>
/// <param name="Tags">Tags, distinct.</param>
/// <param name="SourceThreadId">The thread it came from, or null.</param>
/// <param name="SourceMessageSequence">The message it came from, or null.</param>
public sealed record MemoryWrite(string ValueJson, IReadOnlyList<string> Tags, string? SourceThreadId, long? SourceMessageSequence);

/// <summary>A stored memory.</summary>
/// <param name="Scope"><c>user</c>, <c>space:{id}</c> or <c>app:{id}</c>.</param>
/// <param name="Namespace">The dot-separated namespace path, e.g. <c>prefs.ui</c>.</param>
/// <param name="Key">The key within the namespace.</param>
/// <param name="Write">The value, tags and source.</param>
/// <param name="CreatedAt">When it was first written.</param>
/// <param name="UpdatedAt">When it was last written.</param>
/// <param name="ETag">The row's version.</param>
public sealed record MemoryRecord(string Scope, string Namespace, string Key, MemoryWrite Write, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ETag ETag);

/// <summary>A write's precondition failed: <c>If-Match</c> named another version, or <c>If-None-Match: *</c> met an existing memory.</summary>
public sealed class MemoryPreconditionException() : Exception("The memory is not in the state the write required.");
