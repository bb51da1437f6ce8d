using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Pipeline;

/// <summary>
/// Outside the retry policy: when no try got a response (connection failures, timeouts), Azure.Core
/// throws an <see cref="AggregateException"/>, an <see cref="IOException"/> or a cancellation. This turns
/// them into one <see cref="RequestFailedException"/> with status 0 and code <c>ServiceUnreachable</c>,
/// so callers (and the API's 503) handle one exception type. The caller's own cancellation passes through.
/// </summary>
internal sealed class NoResponsePolicy : HttpPipelinePolicy
{
    /// <summary>The error code of the exception thrown when no try got a response.</summary>
    public const string ServiceUnreachable = nameof(ServiceUnreachable);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception e) when (IsNoResponse(message, e))
        {
            throw Unreachable(message, e);
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        catch (Exception e) when (IsNoResponse(message, e))
        {
            throw Unreachable(message, e);
        }
    }

    private static bool IsNoResponse(HttpMessage message, Exception e) =>
        !message.CancellationToken.IsCancellationRequested
        && e is AggregateException or IOException or OperationCanceledException or RequestFailedException { Status: 0 };

    private static RequestFailedException Unreachable(HttpMessage message, Exception e)
    {
        var tries = message.ProcessingContext.RetryNumber + 1;
        var reason = (e as AggregateException)?.InnerExceptions[^1].Message ?? e.Message;
        return new RequestFailedException(0, $"No response from the storage service after {tries} tries. {reason}", ServiceUnreachable, e);
    }
}
