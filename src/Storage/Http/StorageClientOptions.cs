using Azure.Core;

namespace Serverless.Storage.Http;

/// <summary>
/// Pipeline options for the table and blob clients: Azure.Core's retry, transport and
/// diagnostics settings, with defaults sized for request-path calls in a serverless function.
/// </summary>
public sealed class StorageClientOptions : ClientOptions
{
    /// <summary>
    /// Creates options with our defaults: up to 4 retries, exponential from 250 ms to at most 8 s,
    /// and a 30 s network timeout per try. (The Azure SDK's 0.8 s first delay is tuned for batch
    /// jobs; an HTTP function answering a user cannot wait that long on every transient fault.)
    /// </summary>
    public StorageClientOptions()
    {
        Retry.MaxRetries = 4;
        Retry.Mode = RetryMode.Exponential;
        Retry.Delay = TimeSpan.FromMilliseconds(250);
        Retry.MaxDelay = TimeSpan.FromSeconds(8);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        Diagnostics.IsLoggingContentEnabled = false;
        Diagnostics.ApplicationId = "serverless-persistence";
    }

    /// <summary>Counts the HTTP requests the clients send (every try), for benchmarks and diagnostics. Optional.</summary>
    public RoundTripCounter? RoundTrips { get; set; }
}
