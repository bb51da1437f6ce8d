using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Http;

/// <summary>Builds the Azure.Core pipeline for one storage service: version header, retries, authentication, counting.</summary>
internal static class StoragePipeline
{
    private const string StorageScope = "https://storage.azure.com/.default";

    /// <summary>The two services; they differ in API version and Shared Key flavour.</summary>
    public enum Service
    {
        Table,
        Blob,
    }

    public static HttpPipeline Create(StorageConnection connection, StorageClientOptions options, Service service)
    {
        var version = service == Service.Table ? StorageServiceVersions.Table : StorageServiceVersions.Blob;
        var perCall = new List<HttpPipelinePolicy> { new VersionHeaderPolicy(version) };
        var perRetry = new List<HttpPipelinePolicy>();

        if (connection.AccountKey is { } key)
        {
            perRetry.Add(service == Service.Table
                ? new TableSharedKeyLitePolicy(connection.AccountName, key)
                : new BlobSharedKeyPolicy(connection.AccountName, key));
        }
        else
        {
            perRetry.Add(new BearerTokenAuthenticationPolicy(connection.TokenCredential!, StorageScope));
        }

        if (options.RoundTrips is { } counter)
        {
            perRetry.Add(new RoundTripCountingPolicy(counter));
        }

        // Status codes are classified by each operation itself (see StorageErrors), so the
        // pipeline's classifier only decides what is retried: 408, 429, 500, 502, 503, 504 and I/O faults.
        return HttpPipelineBuilder.Build(options, perCall.ToArray(), perRetry.ToArray(), new ResponseClassifier());
    }

    private sealed class VersionHeaderPolicy(string version) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => message.Request.Headers.SetValue("x-ms-version", version);
    }
}
