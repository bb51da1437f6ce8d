using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace Serverless.Storage.Pipeline;

/// <summary>
/// The options every storage client gets: retries and timeouts sized for request-path calls, the
/// Blob API version we speak, the policy that lets a write know it was retried
/// (<see cref="Tries"/>), and one exception type when no response ever arrives (<see cref="NoResponsePolicy"/>).
/// </summary>
public static class StoragePipeline
{
    /// <summary>
    /// The Blob REST version we send. Azure.Storage.Blobs 12.30.1 defaults to 2026-10-06, which Azurite 3.37
    /// refuses without <c>--skipApiVersionCheck</c>; 2024-11-04 has everything we use (block blobs, leases,
    /// listing), is served by Azure, and is accepted by every Azurite since 3.33, including one a developer
    /// started without our flags.
    /// </summary>
    public const BlobClientOptions.ServiceVersion BlobServiceVersion = BlobClientOptions.ServiceVersion.V2024_11_04;

    /// <summary>Retries after the first try: 4, so at most 5 tries.</summary>
    public const int MaxRetries = 4;

    /// <summary>First retry delay, doubled each retry (with jitter): 250 ms. The SDK's 0.8 s is tuned for batch jobs, not a user waiting on an HTTP answer.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between retries: 8 s.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(8);

    /// <summary>How long one try may wait for the service (also between reads of a streamed body): 30 s. The SDK's 100 s would outlast the caller.</summary>
    public static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Options for the Table service client.</summary>
    public static TableClientOptions TableOptions(Action<ClientOptions>? customize = null) => Configure(new TableClientOptions(), customize);

    /// <summary>Options for the Blob service client, pinned to <see cref="BlobServiceVersion"/>.</summary>
    public static BlobClientOptions BlobOptions(Action<ClientOptions>? customize = null) => Configure(new BlobClientOptions(BlobServiceVersion), customize);

    private static T Configure<T>(T options, Action<ClientOptions>? customize)
        where T : ClientOptions
    {
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = MaxRetries;
        options.Retry.Delay = RetryDelay;
        options.Retry.MaxDelay = MaxRetryDelay;
        options.Retry.NetworkTimeout = NetworkTimeout;
        options.Diagnostics.IsLoggingContentEnabled = false;
        options.Diagnostics.ApplicationId = "serverless-persistence";
        options.AddPolicy(new NoResponsePolicy(), HttpPipelinePosition.PerCall);
        options.AddPolicy(Tries.Policy, HttpPipelinePosition.PerRetry);
        customize?.Invoke(options);
        return options;
    }
}
