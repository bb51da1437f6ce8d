using Azure;

namespace Serverless.Storage.Users;

/// <summary>
/// What an <c>Idempotency-Key</c> bought: the hash of the first request made with it and the
/// response that request got, replayed to retries of the same request.
/// </summary>
/// <param name="Operation">The operation the key was used on, e.g. <c>threads.create</c>.</param>
/// <param name="Key">The client's key.</param>
/// <param name="RequestHash">A hash of the request (method, route, body) that first used the key.</param>
/// <param name="Status">The HTTP status of the first response.</param>
/// <param name="ResponseJson">The body of the first response (JSON).</param>
/// <param name="Location">The Location header of the first response, if any.</param>
/// <param name="CreatedAt">When the key was first used; records expire <see cref="IdempotencyStore.Lifetime"/> later.</param>
/// <param name="ETag">The record row's version (empty for a record not yet stored).</param>
public sealed record IdempotencyRecord(
    string Operation, string Key, string RequestHash, int Status, string ResponseJson, string? Location, DateTimeOffset CreatedAt, ETag ETag = default);
