using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Storage.Pipeline;

namespace Serverless.Storage;

/// <summary>
/// The storage account the app uses: one <see cref="TableServiceClient"/> and one
/// <see cref="BlobServiceClient"/>, built in this one place with the pipeline every storage call
/// shares (<see cref="StoragePipeline"/>). Either from a connection string (account key, SAS,
/// <c>UseDevelopmentStorage=true</c> or Azurite's explicit-endpoint form) or from the two service
/// URIs with an Entra ID credential (the managed identity in Azure).
/// </summary>
public sealed class StorageAccount
{
    private readonly string authentication;

    private StorageAccount(TableServiceClient tables, BlobServiceClient blobs, string authentication)
    {
        Tables = tables;
        Blobs = blobs;
        this.authentication = authentication;
    }

    /// <summary>The Table service.</summary>
    public TableServiceClient Tables { get; }

    /// <summary>The Blob service.</summary>
    public BlobServiceClient Blobs { get; }

    /// <summary>
    /// Connects with a connection string. Both SDKs read it; any key or SAS in it signs the requests.
    /// </summary>
    /// <param name="connectionString">An Azure Storage connection string that names both the Table and the Blob endpoint (directly, or by account name and suffix).</param>
    /// <param name="customize">Runs on each client's options after our defaults (tests: a transport; benchmarks: a round-trip counter).</param>
    /// <exception cref="FormatException">The string is malformed. The message never contains the string itself, which may hold a key.</exception>
    public static StorageAccount FromConnectionString(string connectionString, Action<ClientOptions>? customize = null)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException("The storage connection string is empty.");
        }

        try
        {
            return new StorageAccount(
                new TableServiceClient(connectionString, StoragePipeline.TableOptions(customize)),
                new BlobServiceClient(connectionString, StoragePipeline.BlobOptions(customize)),
                "connection string");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or UriFormatException)
        {
            // The SDKs' messages may quote the string, key included: say only what kind of problem it is.
            throw new FormatException(
                "The storage connection string is malformed: give 'Name=value' pairs separated by ';' with AccountName and AccountKey " +
                "(and DefaultEndpointsProtocol/EndpointSuffix as needed), or TableEndpoint and BlobEndpoint with a key or SAS, or UseDevelopmentStorage=true.");
        }
    }

    /// <summary>Connects to the service URIs with an Entra ID credential: no key is involved.</summary>
    /// <param name="tableServiceUri">E.g. <c>https://acct.table.core.windows.net/</c>.</param>
    /// <param name="blobServiceUri">E.g. <c>https://acct.blob.core.windows.net/</c>.</param>
    /// <param name="credential">The identity, e.g. <c>DefaultAzureCredential</c> or a user-assigned managed identity.</param>
    /// <param name="customize">Runs on each client's options after our defaults.</param>
    public static StorageAccount FromServiceUris(Uri tableServiceUri, Uri blobServiceUri, TokenCredential credential, Action<ClientOptions>? customize = null)
    {
        ArgumentNullException.ThrowIfNull(tableServiceUri);
        ArgumentNullException.ThrowIfNull(blobServiceUri);
        ArgumentNullException.ThrowIfNull(credential);
        return new StorageAccount(
            new TableServiceClient(tableServiceUri, credential, StoragePipeline.TableOptions(customize)),
            new BlobServiceClient(blobServiceUri, credential, StoragePipeline.BlobOptions(customize)),
            $"Entra ID ({credential.GetType().Name})");
    }

    /// <summary>Describes the account for logs: name, endpoints and how it authenticates, never a key.</summary>
    public override string ToString() => $"account={Tables.AccountName} table={Tables.Uri} blob={Blobs.Uri} auth={authentication}";
}
