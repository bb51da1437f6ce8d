using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Tests.Testing;

/// <summary>What the transport does to one request.</summary>
public enum Fault
{
    /// <summary>Send it to the real service.</summary>
    None,

    /// <summary>Answer 500 InternalError without reaching the service.</summary>
    ServerError,

    /// <summary>Answer 503 ServerBusy without reaching the service.</summary>
    ServerBusy,

    /// <summary>Never answer, until the pipeline's network timeout cancels the try.</summary>
    Hang,

    /// <summary>Send it to the service, which commits it, then drop the response as a reset connection would.</summary>
    CommitThenLoseResponse,

    /// <summary>Answer 403 without reaching the service: not retried, so the call fails at once (a process that died here).</summary>
    Refuse,
}

/// <summary>
/// A transport between the pipeline and the real one (Azurite) that injects faults, chosen per
/// request by a script or at random. It sits where the network is, so the client's retry policy,
/// timeouts and error mapping run exactly as in production.
/// </summary>
public sealed class FaultInjectionTransport(Func<Request, Fault> choose) : HttpPipelineTransport
{
    private readonly HttpPipelineTransport inner = HttpClientTransport.Shared;
    private int sent;

    /// <summary>Requests that reached the real service.</summary>
    public int Delivered => sent;

    /// <summary>Injects the faults of <paramref name="script"/> in order, then passes everything through.</summary>
    public static FaultInjectionTransport Scripted(params Fault[] script)
    {
        var queue = new Queue<Fault>(script);
        return new FaultInjectionTransport(_ =>
        {
            lock (queue)
            {
                return queue.Count > 0 ? queue.Dequeue() : Fault.None;
            }
        });
    }

    /// <summary>Passes <paramref name="requests"/> requests through, then refuses every one after (<see cref="Fault.Refuse"/>): a process that dies mid-way.</summary>
    public static FaultInjectionTransport DiesAfter(int requests)
    {
        var seen = 0;
        return new FaultInjectionTransport(_ => Interlocked.Increment(ref seen) <= requests ? Fault.None : Fault.Refuse);
    }

    public override Request CreateRequest() => inner.CreateRequest();

    public override void Process(HttpMessage message) => ProcessAsync(message).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message)
    {
        switch (choose(message.Request))
        {
            case Fault.ServerError:
                message.Response = new SyntheticResponse(500, "InternalError");
                return;
            case Fault.ServerBusy:
                message.Response = new SyntheticResponse(503, "ServerBusy");
                return;
            case Fault.Refuse:
                message.Response = new SyntheticResponse(403, "AuthorizationFailure");
                return;
            case Fault.Hang:
                await Task.Delay(Timeout.Infinite, message.CancellationToken);
                return;
            case Fault.CommitThenLoseResponse:
                await inner.ProcessAsync(message);
                Interlocked.Increment(ref sent);
                throw new IOException("Injected fault: the connection was reset after the service committed the request.");
            default:
                await inner.ProcessAsync(message);
                Interlocked.Increment(ref sent);
                return;
        }
    }

    /// <summary>A bodyless error response with an x-ms-error-code header, as the service sends under load.</summary>
    private sealed class SyntheticResponse(int status, string code) : Response
    {
        private readonly Dictionary<string, string> headers = new(StringComparer.OrdinalIgnoreCase) { ["x-ms-error-code"] = code };

        public override int Status => status;

        public override string ReasonPhrase => code;

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => headers.ContainsKey(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => headers.Select(h => new HttpHeader(h.Key, h.Value));

        protected override bool TryGetHeader(string name, out string value) => headers.TryGetValue(name, out value!);

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            var found = headers.TryGetValue(name, out var value);
            values = found ? [value!] : [];
            return found;
        }
    }
}
