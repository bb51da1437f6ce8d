using Azure;

namespace Serverless.Storage.Blobs;

/// <summary>What an upload stored.</summary>
/// <param name="ETag">The new blob's ETag.</param>
/// <param name="LastModified">When the service committed it.</param>
/// <param name="Length">The number of bytes stored (read from the stream).</param>
/// <param name="BlockCount">The number of blocks staged, or 0 when it was one Put Blob.</param>
public sealed record BlobUploadResult(ETag ETag, DateTimeOffset LastModified, long Length, int BlockCount);
