using Azure;

namespace Serverless.Storage.Autosave;

/// <summary>The latest state saved in one autosave slot.</summary>
/// <param name="Slot">The slot's name.</param>
/// <param name="StateJson">The state, UTF-8 JSON as saved.</param>
/// <param name="SavedAt">When it was saved; the slot expires its retention after this.</param>
/// <param name="StoredBytes">Its size in the row (compressed).</param>
/// <param name="ETag">The row's version, for <c>If-Match</c>.</param>
public sealed record AutosaveRecord(string Slot, ReadOnlyMemory<byte> StateJson, DateTimeOffset SavedAt, int StoredBytes, ETag ETag);

/// <summary>A state that does not fit one table row even compressed; nothing was written.</summary>
public sealed class AutosaveTooLargeException(int rawBytes, int storedBytes)
    : Exception($"The state is {rawBytes} bytes and compresses to {storedBytes}; a slot holds at most {AutosaveStore.MaxStoredBytes} compressed bytes.")
{
    /// <summary>The state's size.</summary>
    public int RawBytes { get; } = rawBytes;

    /// <summary>Its compressed size.</summary>
    public int StoredBytes { get; } = storedBytes;
}
