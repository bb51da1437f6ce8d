using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Http;

/// <summary>Sends a storage request and turns transport failures into <see cref="StorageException"/>, like error responses.</summary>
internal static class PipelineSending
{
    /// <summary>
    /// Sends <paramref name="message"/> through the pipeline (with its retries). When no response
    /// arrives at all (connection failures or timeouts on every try) this throws a
    /// <see cref="StorageException"/> with status 0 and code <c>ServiceUnreachable</c>, so callers
    /// handle one exception type. Cancellation by the caller still surfaces as <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async ValueTask SendStorageRequestAsync(this HttpPipeline pipeline, HttpMessage message, string operation, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is AggregateException or IOException or OperationCanceledException or RequestFailedException)
        {
            var tries = message.ProcessingContext.RetryNumber + 1;
            var reason = (e as AggregateException)?.InnerExceptions[^1].Message ?? e.Message;
            throw new StorageException(0, "ServiceUnreachable", $"{operation} failed: no response from the storage service after {tries} tries. {reason}", wasRetried: tries > 1, innerException: e);
        }
    }
}
