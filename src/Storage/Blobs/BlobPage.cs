using Azure;

namespace Serverless.Storage.Blobs;

/// <summary>One blob as List Blobs reports it.</summary>
/// <param name="Name">The blob's full name.</param>
/// <param name="ContentLength">Its size in bytes.</param>
/// <param name="ContentType">Its stored content type, or <c>null</c>.</param>
/// <param name="ContentEncoding">Its stored content encoding, or <c>null</c>.</param>
/// <param name="ETag">Its ETag.</param>
/// <param name="LastModified">When it was last written.</param>
/// <param name="Metadata">Its metadata, names in lower case (case-insensitive lookup).</param>
public sealed record BlobItem(
    string Name,
    long ContentLength,
    string? ContentType,
    string? ContentEncoding,
    ETag ETag,
    DateTimeOffset LastModified,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>One page of a listing: up to the page size (at most 5,000) blobs in name order, and where the next page starts.</summary>
/// <param name="Items">The page's blobs; may be empty even when <paramref name="NextMarker"/> is set.</param>
/// <param name="NextMarker">The opaque marker for the next page, or <c>null</c> on the last page.</param>
public sealed record BlobPage(IReadOnlyList<BlobItem> Items, string? NextMarker);
