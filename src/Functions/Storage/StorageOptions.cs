namespace Serverless.Functions.Storage;

/// <summary>Where the app keeps its data (configuration section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Storage";

    /// <summary>
    /// An Azure Storage connection string with a key or SAS (or <c>UseDevelopmentStorage=true</c>, or
    /// Azurite's explicit-endpoint form). When empty and <see cref="TableServiceUri"/> and
    /// <see cref="BlobServiceUri"/> are not set either, <c>AzureWebJobsStorage</c> (the Functions host's
    /// own setting) is used; in Development, <c>UseDevelopmentStorage=true</c> (Azurite).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The Table service URI, e.g. <c>https://acct.table.core.windows.net/</c>: with <see cref="BlobServiceUri"/>
    /// and no <see cref="ConnectionString"/>, storage is reached with an Entra ID identity, no key.
    /// </summary>
    public string? TableServiceUri { get; set; }

    /// <summary>The Blob service URI, e.g. <c>https://acct.blob.core.windows.net/</c> (see <see cref="TableServiceUri"/>).</summary>
    public string? BlobServiceUri { get; set; }

    /// <summary>
    /// The client id of the user-assigned managed identity to reach the service URIs with. When empty,
    /// <c>DefaultAzureCredential</c> picks the identity (environment, workload or system-assigned managed identity, developer sign-in).
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>The table that holds every user's rows. Default <c>userdata</c>.</summary>
    public string UserTable { get; set; } = "userdata";

    /// <summary>The index table of due mission firings, partitioned by due-time bucket. Default <c>missiondue</c>.</summary>
    public string DueTable { get; set; } = "missiondue";

    /// <summary>The expiry index: what retention purges when, partitioned by due hour. Default <c>expiry</c>.</summary>
    public string ExpiryTable { get; set; } = "expiry";

    /// <summary>Lifecycle jobs across users: erasure jobs and receipts, the orphan sweep's position. Default <c>lifecycle</c>.</summary>
    public string LifecycleTable { get; set; } = "lifecycle";

    /// <summary>The container of payload blobs (large content). Default <c>payloads</c>.</summary>
    public string PayloadContainer { get; set; } = "payloads";
}
