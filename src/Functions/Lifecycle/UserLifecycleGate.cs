using System.Collections.Concurrent;
using Azure;
using Serverless.Functions.Api;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Users;

namespace Serverless.Functions.Lifecycle;

/// <summary>
/// The lifecycle's one check on the way into a user's operation (called by <see cref="ApiPipeline"/>): while the user's
/// erasure runs, their writes are refused with 409 <c>erasure_in_progress</c> (one point read of the erasure job per
/// write request, on every instance, so a write anywhere sees a <c>DELETE /me</c> made anywhere else). Reads are served
/// as usual meanwhile and show what is not erased yet. A write also queues the user's schema migration job when
/// migrations are pending for them, checked once per user and hour by each instance.
/// </summary>
/// <remarks>
/// A write that passed the check just before the erasure started may still land: the erasure's verification pass
/// erases it (it goes round until the partition is empty); one landing after the receipt belongs to a new life of the
/// account, as any later write does.
/// </remarks>
public sealed class UserLifecycleGate(LifecycleJobs jobs, TimeProvider time)
{
    // Users whose migrations this instance checked this hour; forgotten when the hour turns, which bounds it.
    private readonly ConcurrentDictionary<string, bool> checkedUsers = new(StringComparer.Ordinal);
    private long checkedHour = -1;

    /// <summary>Refuses the request (the answer to send), or lets it through (null).</summary>
    /// <param name="context">The request.</param>
    /// <param name="policy">The operation's policy (<see cref="OperationPolicy.AllowedWhileErasing"/>).</param>
    /// <param name="user">The authenticated user.</param>
    public async Task<IResult?> EnterAsync(HttpContext context, OperationPolicy policy, UserPartition user)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(policy);
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || policy.AllowedWhileErasing)
        {
            return null;
        }

        if (await jobs.Erasure.IsErasingAsync(user, context.RequestAborted))
        {
            return Problems.Result(
                StatusCodes.Status409Conflict, ProblemCodes.ErasureInProgress, "Your data is being erased.", "Nothing can be written until the erasure ends; follow it at /api/v1/me/erasure.");
        }

        await QueueMigrationOnceAsync(user, context.RequestAborted);
        return null;
    }

    private async Task QueueMigrationOnceAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var hour = time.GetUtcNow().UtcTicks / TimeSpan.TicksPerHour;
        if (Interlocked.Exchange(ref checkedHour, hour) != hour)
        {
            checkedUsers.Clear();
        }

        if (!checkedUsers.TryAdd(user.Key, true))
        {
            return;
        }

        try
        {
            await jobs.QueueMigrationIfNeededAsync(user, cancellationToken);
        }
        catch (RequestFailedException)
        {
            // Bookkeeping must not fail the user's write: a later write checks again.
            checkedUsers.TryRemove(user.Key, out _);
        }
    }
}
