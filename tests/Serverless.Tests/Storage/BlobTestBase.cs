using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Pipeline;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

/// <summary>Gives each test its own container in the run's Azurite, deleted afterwards.</summary>
public abstract class BlobTestBase : IAsyncLifetime
{
    protected Azurite Azurite { get; private set; } = null!;

    protected BlobContainerClient Container { get; private set; } = null!;

    protected RoundTripCounter RoundTrips { get; } = new();

    public virtual async Task InitializeAsync()
    {
        Azurite = await Azurite.Shared;
        Container = Azurite.Container(Azurite.UniqueName("c"), RoundTrips.AddTo);
        await Container.CreateIfNotExistsAsync();
    }

    public virtual async Task DisposeAsync() => await Container.DeleteIfExistsAsync();

    /// <summary>A second client on the same container, as another instance of the app would have.</summary>
    protected BlobContainerClient OtherClient() => Azurite.Container(Container.Name);

    protected async Task<byte[]> DownloadBytesAsync(string blobName) =>
        (await Container.GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToArray();

    /// <summary>A blob's properties, or null when it does not exist.</summary>
    protected async Task<BlobProperties?> PropertiesAsync(string blobName)
    {
        try
        {
            return (await Container.GetBlobClient(blobName).GetPropertiesAsync()).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The names of the blobs under <paramref name="prefix"/>.</summary>
    protected Task<List<string>> ListAsync(string prefix) => Container.ListNamesAsync(prefix);

    /// <summary>Stores bytes as they are (as another writer would), with the given Content-Encoding and type.</summary>
    protected async Task UploadRawAsync(string blobName, Stream content, string? contentEncoding = null, string? contentType = null)
    {
        content.Position = 0;
        await Container.GetBlobClient(blobName).UploadAsync(content, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentEncoding = contentEncoding, ContentType = contentType } });
    }
}
