using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Http;

/// <summary>Counts each try of each request on a <see cref="RoundTripCounter"/>.</summary>
internal sealed class RoundTripCountingPolicy(RoundTripCounter counter) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message) => counter.Increment();
}
