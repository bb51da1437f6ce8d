using System.Security.Cryptography;
using System.Text;
using Azure;
using Serverless.Functions.Identity;
using Azure.Data.Tables;
using Serverless.Storage.Users;

namespace Serverless.Functions.Api;

/// <summary>
/// The <c>Idempotency-Key</c> flow for creating requests. <see cref="BeginAsync"/> either answers
/// (a replay of the first response, or 422 when the key was used with another request) or hands
/// back an <see cref="IdempotentWrite"/> whose <see cref="IdempotentWrite.Record"/> the endpoint
/// adds to the same transaction as its write. Keys are scoped to the user and the operation.
/// </summary>
public sealed class IdempotencyKeys(IdempotencyStore store, TimeProvider time)
{
    /// <summary>The request header.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>The response header set on replays.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>The outcome of <see cref="BeginAsync"/>: an answer to send now, or a write to perform (or neither, without a key).</summary>
    /// <param name="Answer">A response to return without doing anything else (replay, 400 or 422).</param>
    /// <param name="Write">The key's record-to-be, when the request carries a fresh key.</param>
    public sealed record Outcome(IResult? Answer, IdempotentWrite? Write);

    /// <summary>Checks the request's key against earlier uses.</summary>
    /// <param name="request">The request; its <see cref="Header"/> is read.</param>
    /// <param name="operation">A stable name of the operation, e.g. <c>threads.create</c>.</param>
    /// <param name="canonicalRequest">The request's meaning in bytes (route values and body), hashed to recognise a different request under the same key.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <param name="reviveResponse">
    /// For responses stored in a protected form (a secret kept encrypted in the record): turns the stored body back into
    /// the body to send, or null when it no longer can be (409 then). The stored body is sent as it is without one.
    /// </param>
    public async Task<Outcome> BeginAsync(
        HttpRequest request, string operation, ReadOnlyMemory<byte> canonicalRequest, CancellationToken cancellationToken, Func<string, string?>? reviveResponse = null)
    {
        if (!request.Headers.TryGetValue(Header, out var values))
        {
            return new Outcome(null, null);
        }

        var key = values.ToString();
        if (!IsValid(values))
        {
            return new Outcome(Malformed(), null);
        }

        var hash = Convert.ToHexString(SHA256.HashData(canonicalRequest.Span));
        var user = CurrentUser.From(request.HttpContext);
        var (live, expired) = await store.FindAsync(user.Partition, operation, key, cancellationToken).ConfigureAwait(false);
        if (live is not null)
        {
            return new Outcome(Replay(live, hash, reviveResponse), null);
        }

        return new Outcome(null, new IdempotentWrite(user.Partition, operation, key, hash, expired, time) { ReviveResponse = reviveResponse });
    }

    /// <summary>
    /// Looks at the request's key before a body too large to read twice (an upload) is read: a 400 problem for a malformed
    /// key, and whether the key has a live record, in which case the request is a replay or a reuse, which
    /// <see cref="BeginAsync"/> tells apart once the body's hash is known, without storing the body again.
    /// </summary>
    public async Task<(IResult? Problem, bool Known)> PeekAsync(HttpRequest request, string operation, CancellationToken cancellationToken)
    {
        if (!request.Headers.TryGetValue(Header, out var values))
        {
            return (null, false);
        }

        if (!IsValid(values))
        {
            return (Malformed(), false);
        }

        var (live, _) = await store.FindAsync(CurrentUser.From(request.HttpContext).Partition, operation, values.ToString(), cancellationToken).ConfigureAwait(false);
        return (null, live is not null);
    }

    /// <summary>After the guarded transaction lost a race on the key's row (409/412 at its index): answer as the winner did.</summary>
    public async Task<IResult> AnswerAfterRaceAsync(IdempotentWrite write, CancellationToken cancellationToken)
    {
        var (live, _) = await store.FindAsync(write.Partition, write.Operation, write.Key, cancellationToken).ConfigureAwait(false);
        return live is null
            ? Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.Conflict, "A request with this Idempotency-Key is in progress.", "Retry shortly.")
            : Replay(live, write.RequestHash, write.ReviveResponse);
    }

    private static bool IsValid(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count == 1 && values.ToString() is { Length: > 0 and <= IdempotencyStore.MaxKeyLength } key && !key.Any(c => c < 0x21 || c > 0x7E);

    private static IResult Malformed() => Problems.Validation(Header, $"{Header} must be 1 to {IdempotencyStore.MaxKeyLength} visible ASCII characters.");

    private static IResult Replay(IdempotencyRecord record, string hash, Func<string, string?>? revive) => record.RequestHash != hash
        ? Problems.Result(
            StatusCodes.Status422UnprocessableEntity,
            ProblemCodes.IdempotencyKeyReused,
            "This Idempotency-Key was used with a different request.",
            "Use a new key for a new request; a key may be reused only to retry the identical request.")
        : revive is null
            ? new ReplayResult(record)
            : revive(record.ResponseJson) is { } body
                ? new ReplayResult(record with { ResponseJson = body })
                : Problems.Conflict("The first response to this Idempotency-Key can no longer be replayed (it holds a secret that no longer decrypts).");

    /// <summary>Writes the stored first response again, marked as a replay.</summary>
    private sealed class ReplayResult(IdempotencyRecord record) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = record.Status;
            response.Headers[ReplayedHeader] = "true";
            if (record.Location is not null)
            {
                response.Headers.Location = record.Location;
            }

            response.ContentType = "application/json; charset=utf-8";
            await response.WriteAsync(record.ResponseJson, Encoding.UTF8).ConfigureAwait(false);
        }
    }
}

/// <summary>A fresh idempotency key, to be recorded in the same transaction as the write it guards.</summary>
public sealed class IdempotentWrite(UserPartition user, string operation, string key, string requestHash, ETag? expired, TimeProvider time)
{
    /// <summary>The partition of the user whose key this is.</summary>
    public UserPartition Partition { get; } = user;

    /// <summary>The operation name.</summary>
    public string Operation { get; } = operation;

    /// <summary>The client's key.</summary>
    public string Key { get; } = key;

    /// <summary>The hash of the request.</summary>
    public string RequestHash { get; } = requestHash;

    /// <summary>How a stored response in protected form is turned back into the body to send (see <see cref="IdempotencyKeys.BeginAsync"/>).</summary>
    internal Func<string, string?>? ReviveResponse { get; init; }

    /// <summary>The transaction operation that records the response the write will return.</summary>
    public TableTransactionAction Record(int status, string responseJson, string? location) =>
        IdempotencyStore.RecordAction(Partition, new IdempotencyRecord(Operation, Key, RequestHash, status, responseJson, location, time.GetUtcNow()), expired);
}
