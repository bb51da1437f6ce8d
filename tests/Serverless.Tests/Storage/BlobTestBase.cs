using Serverless.Storage.Blobs;
using Serverless.Storage.Http;
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
        Container = new BlobContainerClient(Azurite.Connection, Azurite.UniqueName("c"), new StorageClientOptions { RoundTrips = RoundTrips });
        await Container.CreateIfNotExistsAsync();
    }

    public virtual async Task DisposeAsync() => await Container.DeleteContainerAsync();

    /// <summary>A second client on the same container, as another instance of the app would have.</summary>
    protected BlobContainerClient OtherClient() => new(Azurite.Connection, Container.Name);

    protected async Task<byte[]> DownloadBytesAsync(string blobName, BlobRange? range = null)
    {
        await using var download = await Container.DownloadAsync(blobName, range);
        using var copy = new MemoryStream();
        await download.Content.CopyToAsync(copy);
        return copy.ToArray();
    }
}
