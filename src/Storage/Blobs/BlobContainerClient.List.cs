using System.Globalization;
using System.Runtime.CompilerServices;
using Azure.Core;
using Serverless.Storage.Http;

namespace Serverless.Storage.Blobs;

public sealed partial class BlobContainerClient
{
    /// <summary>
    /// Lists the container's blobs in name order, with their properties and metadata, a page per
    /// request, following the service's <c>NextMarker</c> until there is none.
    /// </summary>
    /// <param name="prefix">Only names that start with this (ordinal); all blobs when null.</param>
    /// <param name="pageSize">Blobs per page, 1 to 5,000 (the service's default of 5,000 when null).</param>
    /// <param name="startMarker">Resume from an earlier page's <see cref="BlobPage.NextMarker"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="StorageException">404 <c>ContainerNotFound</c> when the container does not exist.</exception>
    public async IAsyncEnumerable<BlobPage> ListAsync(
        string? prefix = null,
        int? pageSize = null,
        string? startMarker = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (pageSize is < 1 or > 5000)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "A page holds 1 to 5,000 blobs.");
        }

        var query = "?restype=container&comp=list&include=metadata";
        if (!string.IsNullOrEmpty(prefix))
        {
            query += "&prefix=" + Uri.EscapeDataString(prefix);
        }

        if (pageSize is { } size)
        {
            query += "&maxresults=" + size.ToString(CultureInfo.InvariantCulture);
        }

        var marker = string.IsNullOrEmpty(startMarker) ? null : startMarker;
        do
        {
            var url = containerUrl + query + (marker is null ? string.Empty : "&marker=" + Uri.EscapeDataString(marker));
            using var message = CreateMessage(RequestMethod.Get, url);
            await pipeline.SendStorageRequestAsync(message, $"List {Name}", cancellationToken).ConfigureAwait(false);
            if (message.Response.Status != 200)
            {
                throw StorageErrors.FromResponse(message, $"List {Name}");
            }

            BlobPage page;
            using (var body = message.Response.Content.ToStream())
            {
                page = BlobListParser.Parse(body);
            }

            marker = page.NextMarker;
            yield return page;
        }
        while (marker is not null);
    }

    /// <summary>Lists every blob under <paramref name="prefix"/>, across pages. For small listings; use <see cref="ListAsync"/> to stream.</summary>
    public async Task<List<BlobItem>> ListAllAsync(string? prefix = null, CancellationToken cancellationToken = default)
    {
        var all = new List<BlobItem>();
        await foreach (var page in ListAsync(prefix, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            all.AddRange(page.Items);
        }

        return all;
    }
}
