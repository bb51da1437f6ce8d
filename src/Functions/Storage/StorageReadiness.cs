using Serverless.Functions.Api;

namespace Serverless.Functions.Storage;

/// <summary>Whether the app's tables and containers exist yet (set once by <see cref="StorageBootstrap"/>).</summary>
public sealed class StorageReadiness
{
    /// <summary>How long an API call waits for storage to become ready before answering 503.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when storage is ready.</summary>
    public Task Ready => ready.Task;

    internal void MarkReady() => ready.TrySetResult();
}

/// <summary>Holds API calls until storage is ready, answering 503 problem+json if it takes longer than <see cref="StorageReadiness.MaxWait"/>.</summary>
public sealed class StorageReadyFilter(StorageReadiness readiness) : IEndpointFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!readiness.Ready.IsCompleted)
        {
            try
            {
                await readiness.Ready.WaitAsync(StorageReadiness.MaxWait, context.HttpContext.RequestAborted);
            }
            catch (TimeoutException)
            {
                context.HttpContext.Response.Headers.RetryAfter = "5";
                return Problems.Result(StatusCodes.Status503ServiceUnavailable, ProblemCodes.StorageUnavailable, "Storage is not ready yet; retry shortly.");
            }
        }

        return await next(context);
    }
}
