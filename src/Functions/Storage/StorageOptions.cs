namespace Serverless.Functions.Storage;

/// <summary>Where the app keeps its data (configuration section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Storage";

    /// <summary>
    /// An Azure Storage connection string. When empty, <c>AzureWebJobsStorage</c> (the Functions
    /// host's own setting) is used; in Development, <c>UseDevelopmentStorage=true</c> (Azurite).
    /// A string without AccountKey authenticates with the app's managed identity.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The table that holds every user's rows. Default <c>userdata</c>.</summary>
    public string UserTable { get; set; } = "userdata";

    /// <summary>The index table of due mission firings, partitioned by due-time bucket. Default <c>missiondue</c>.</summary>
    public string DueTable { get; set; } = "missiondue";

    /// <summary>The container of payload blobs (large content). Default <c>payloads</c>.</summary>
    public string PayloadContainer { get; set; } = "payloads";
}
