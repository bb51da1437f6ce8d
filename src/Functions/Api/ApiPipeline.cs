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
/// limit, the user's identity (ASP.NET Core authentication with the app's schemes), the per-user
/// rate limit, the wait for storage, the lifecycle's check (writes refused during the user's erasure), and the
/// problem+json boundary around it all.
/// </summary>
public sealed partial class ApiPipeline(
    ApiCors cors, UserRateLimiter rateLimiter, StorageReadiness storage, UserLifecycleGate lifecycle, IOptions<ApiOptions> options, ILogger<ApiPipeline> logger)
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

        if (policy.Anonymous)
        {
            return null;
        }

        var identity = await context.AuthenticateAsync();
        if (!identity.Succeeded || identity.Principal.FindFirst(CurrentUser.UserIdClaim)?.Value is not { Length: > 0 } userId)
        {
            // The scheme's challenge says why in WWW-Authenticate (e.g. error="invalid_token"); the body is ours.
            await context.ChallengeAsync();
            return Problems.Result(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "Unauthorized.", "Send a valid user token: Authorization: Bearer <token>.");
        }

        context.User = identity.Principal;
        if (rateLimiter.TryAcquire(context, userId) is { } limited)
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
        var (status, code, title, detail) = ProblemMapping.Classify(exception);
        if (status >= 500)
        {
            LogServerFault(logger, exception, context.Request.Method, context.Request.Path);
        }

        // Whatever the operation had set (ETag, Content-Length, ...) belongs to an answer that is not sent.
        context.Response.Clear();
        cors.ApplyToResponse(context);
        if (ProblemMapping.IsTransient(exception))
        {
            context.Response.Headers.RetryAfter = "2";
        }

        await Problems.Result(status, code, title, detail).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled fault on {Method} {Path}")]
    private static partial void LogServerFault(ILogger logger, Exception exception, string method, string path);
}
