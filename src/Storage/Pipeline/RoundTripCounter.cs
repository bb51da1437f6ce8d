using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Pipeline;

/// <summary>
/// A pipeline policy that counts storage HTTP requests, every retry included. Benchmarks add it with
/// <c>options.AddPolicy(counter, HttpPipelinePosition.PerRetry)</c> (see <see cref="StorageAccount"/>'s
/// <c>customize</c>) to report storage round trips per operation.
/// </summary>
public sealed class RoundTripCounter : HttpPipelineSynchronousPolicy
{
    private long count;

    /// <summary>The number of requests sent since creation or the last <see cref="Reset"/>.</summary>
    public long Count => Interlocked.Read(ref count);

    /// <summary>Sets the count back to zero and returns what it was.</summary>
    public long Reset() => Interlocked.Exchange(ref count, 0);

    /// <summary>Adds this counter to a client's options, counting every try.</summary>
    public void AddTo(ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddPolicy(this, HttpPipelinePosition.PerRetry);
    }

    /// <inheritdoc />
    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref count);
}
