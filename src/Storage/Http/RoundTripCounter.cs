namespace Serverless.Storage.Http;

/// <summary>
/// A thread-safe count of storage HTTP requests, every retry included, fed by a pipeline policy.
/// Benchmarks read it to report storage round trips per operation.
/// </summary>
public sealed class RoundTripCounter
{
    private long count;

    /// <summary>The number of requests sent since creation or the last <see cref="Reset"/>.</summary>
    public long Count => Interlocked.Read(ref count);

    /// <summary>Sets the count back to zero and returns what it was.</summary>
    public long Reset() => Interlocked.Exchange(ref count, 0);

    internal void Increment() => Interlocked.Increment(ref count);
}
