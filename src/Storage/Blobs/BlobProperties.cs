using Azure;

namespace Serverless.Storage.Blobs;

/// <summary>A blob's system properties and metadata, as Get Blob Properties, Get Blob and List Blobs report them.</summary>
/// <param name="ContentLength">The blob's whole size in bytes (for a ranged download too).</param>
/// <param name="ContentType">The stored content type; the service reports <c>application/octet-stream</c> when none was set.</param>
/// <param name="ContentEncoding">The stored content encoding (for payloads: the codec family, e.g. <c>br</c>), or <c>null</c>.</param>
/// <param name="ETag">The blob's current ETag, for <c>If-Match</c>.</param>
/// <param name="LastModified">When the blob was last written.</param>
/// <param name="Metadata">The blob's metadata, names in lower case (case-insensitive lookup).</param>
/// <param name="LeaseState">The service's lease state (<c>available</c>, <c>leased</c>, <c>expired</c>, <c>breaking</c>, <c>broken</c>), or <c>null</c> if not reported.</param>
public sealed record BlobProperties(
    long ContentLength,
    string? ContentType,
    string? ContentEncoding,
    ETag ETag,
    DateTimeOffset LastModified,
    IReadOnlyDictionary<string, string> Metadata,
    string? LeaseState);
