using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Serverless.Functions.Identity;
using Serverless.Functions.Lifecycle;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Api;

/// <summary>
/// What every API request goes through before and around its operation, written once and run by
/// both hosts (<see cref="Hosting.LocalApiMiddleware"/> on the local server,
/// <see cref="Hosting.WorkerApiMiddleware"/> under the Functions worker): CORS headers, the body
/// limit, the user's identity (ASP.NET Core authentication with the app's schemes), the rate limits
/// (per user; per client address for anonymous calls and failed authentication), the wait for storage, the
/// lifecycle's check (writes refused during the user's erasure), and the problem+json boundary around it all.
/// </summary>
public sealed partial class ApiPipeline(
    ApiCors cors, ApiRateLimiter rateLimiter, StorageReadiness storage, UserLifecycleGate lifecycle, IOptions<ApiOptions> options, ILogger<ApiPipeline> logger)
{
    /// <summary>Runs <paramref name="operation"/>'s checks, then <paramref name="next"/>, answering any fault as a problem.</summary>
    /// <param name="context">The request.</param>
    /// <param name="operation">The operation (function or endpoint name); null when the request matched none (the local server's own 404/405).</param>
    /// <param name="next">Runs the operation and writes its answer.</param>
    public async Task InvokeAsync(HttpContext context, string? operation, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            cors.ApplyToResponse(context);
            if (operation is not null && await EnterAsync(context, OperationPolicies.For(operation)) is { } refusal)
            {
                await refusal.ExecuteAsync(context);
                return;
            }

            await next();
        }
        // A client that went away gets no answer, and its cancellation is no fault of ours.
        catch (Exception exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await AnswerFaultAsync(context, exception);
        }
    }

    /// <summary>The checks before an operation, in order; the first refusal is the answer.</summary>
    private async Task<IResult?> EnterAsync(HttpContext context, OperationPolicy policy)
    {
        if (RequestBodyLimit.Apply(context, policy.MaxBodyBytes ?? options.Value.MaxRequestBodyBytes) is { } tooLarge)
        {
            return tooLarge;
        }

        // What comes without a user is limited per client address: anonymous operations, and failed authentications
        // (so a client cannot try tokens, or flood us, at the rate of the checks).
        if (policy.Anonymous)
        {
            return rateLimiter.TryAcquireForAddress(context);
        }

        var identity = await context.AuthenticateAsync();
        if (!identity.Succeeded || identity.Principal.FindFirst(CurrentUser.UserIdClaim)?.Value is not { Length: > 0 } userId)
        {
            if (rateLimiter.TryAcquireForAddress(context) is { } addressLimited)
            {
                return addressLimited;
            }

            // The scheme's challenge says why in WWW-Authenticate (e.g. error="invalid_token"); the body is ours.
            await context.ChallengeAsync();
            return Problems.Result(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "Unauthorized.", "Send a valid user token: Authorization: Bearer <token>.");
        }

        context.User = identity.Principal;
        if (rateLimiter.TryAcquireForUser(context, userId) is { } limited)
        {
            return limited;
        }

        if (!storage.Ready.IsCompleted)
        {
            try
            {
                await storage.Ready.WaitAsync(StorageReadiness.MaxWait, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                context.Response.Headers.RetryAfter = "5";
                return Problems.Result(StatusCodes.Status503ServiceUnavailable, ProblemCodes.StorageUnavailable, "Storage is not ready yet; retry shortly.");
            }
        }

        return await lifecycle.EnterAsync(context, policy, CurrentUser.From(context).Partition);
    }

    private async Task AnswerFaultAsync(HttpContext context, Exception exception)
    {
        var (status, code, title, detail, errors) = ProblemMapping.Classify(exception);
        if (status >= 500)
        {
            LogServerFault(logger, exception, context.Request.Method, context.Request.Path);
        }

        // Whatever the operation had set or written (ETag, Content-Length, body held back for compression) belongs to an
        // answer that is not sent.
        context.Response.Clear();
        JsonCompression.DiscardUnsent(context);
        cors.ApplyToResponse(context);
        if (ProblemMapping.IsTransient(exception))
        {
            context.Response.Headers.RetryAfter = "2";
        }

        await Problems.Result(status, code, title, detail, errors).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled fault on {Method} {Path}")]
    private static partial void LogServerFault(ILogger logger, Exception exception, string method, string path);
}
