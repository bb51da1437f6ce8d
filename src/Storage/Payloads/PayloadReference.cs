namespace Serverless.Storage.Payloads;

/// <summary>
/// Where a payload was stored and what it holds: what the table row that points at it keeps, so a read can
/// find it, inflate it and check it.
/// </summary>
/// <param name="BlobName">The blob, <c>{prefix}/{32 hex digits}{codec extension}</c>; never reused for other content.</param>
/// <param name="Codec">The codec's <see cref="PayloadCodec.Name"/>, e.g. <c>br5</c>.</param>
/// <param name="ContentType">The payload's content type before compression, e.g. <c>application/json</c>.</param>
/// <param name="RawBytes">The payload's length before compression.</param>
/// <param name="StoredBytes">The blob's length (after compression).</param>
/// <param name="Sha256">The SHA-256 of the raw payload, 64 lower-case hex digits.</param>
public sealed record PayloadReference(string BlobName, string Codec, string ContentType, long RawBytes, long StoredBytes, string Sha256);
