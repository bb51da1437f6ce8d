using Azure;

namespace Serverless.Storage.Autosave;

/// <summary>The latest state saved in one autosave slot.</summary>
/// <param name="Slot">The slot's name.</param>
/// <param name="StateJson">The state, UTF-8 JSON as saved.</param>
/// <param name="SavedAt">When it was saved; the slot expires its retention after this.</param>
/// <param name="StoredBytes">Its size as stored (compressed), in the row or in its blob.</param>
/// <param name="ETag">The row's version, for <c>If-Match</c>.</param>
public sealed record AutosaveRecord(string Slot, ReadOnlyMemory<byte> StateJson, DateTimeOffset SavedAt, int StoredBytes, ETag ETag);
