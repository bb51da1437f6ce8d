using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Serverless.Tests.Testing;

/// <summary>Blob names under a prefix, for assertions on what a store left behind.</summary>
public static class BlobListing
{
    public static async Task<List<string>> ListNamesAsync(this BlobContainerClient container, string prefix)
    {
        var names = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
        {
            names.Add(blob.Name);
        }

        return names;
    }
}
