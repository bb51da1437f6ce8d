using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>How much a user stores, per kind, and when that was computed.</summary>
/// <param name="ComputedAt">When the scan ended.</param>
/// <param name="Kinds">Rows and bytes per kind; blobs count under the kind of the row that references them, and under <c>orphan</c> when none does.</param>
/// <param name="Requests">Storage requests the scan took (its cost).</param>
public sealed record UsageReport(DateTimeOffset ComputedAt, IReadOnlyList<KindCount> Kinds, int Requests)
{
    /// <summary>All rows.</summary>
    public long Rows => Kinds.Sum(k => k.Rows);

    /// <summary>All rows' bytes.</summary>
    public long RowBytes => Kinds.Sum(k => k.RowBytes);

    /// <summary>All blobs.</summary>
    public long Blobs => Kinds.Sum(k => k.Blobs);

    /// <summary>All blobs' stored bytes.</summary>
    public long BlobBytes => Kinds.Sum(k => k.BlobBytes);
}

/// <summary>
/// Computes a user's storage usage by a scan: one pass over the partition (1,000 rows per request) and one listing
/// of the user's blobs (5,000 per request), so it costs rows/1,000 + blobs/5,000 requests and touches no write path.
/// </summary>
/// <remarks>
/// Chosen over counters maintained on every write (measured side by side in <c>bench/run lifecycle</c>): counters
/// would add a contended row to every transaction of the user, drift whenever a write fails between its blob and its
/// row, and still need this scan to be repaired. A usage display can show the time of its last scan.
/// </remarks>
public sealed class UsageReports(LifecycleStorage storage, TimeProvider time)
{
    /// <summary>Blobs no row references are counted under this name.</summary>
    public const string Orphan = "orphan";

    /// <summary>Scans the user's rows and blobs.</summary>
    public async Task<UsageReport> ComputeAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var tally = new KindTally();
        var kindOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var requests = 0;
        await foreach (var page in storage.Users.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"), cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            requests++;
            foreach (var row in page.Values)
            {
                var kind = UserDataKinds.OfRow(row.RowKey);
                tally.AddRow(kind?.Name ?? "unknown", EntityLimits.SizeOf(row));
                foreach (var blob in kind?.ReferencedBlobs(user, row) ?? [])
                {
                    kindOf[blob.BlobName] = blob.Kind;
                }
            }
        }

        await foreach (var page in storage.Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = UserBlobNames.Of(user.Key) }, cancellationToken).AsPages().ConfigureAwait(false))
        {
            requests++;
            foreach (var blob in page.Values)
            {
                tally.AddBlob(kindOf.GetValueOrDefault(blob.Name) ?? Orphan, blob.Properties.ContentLength ?? 0);
            }
        }

        return new UsageReport(time.GetUtcNow(), tally.ToList(), requests);
    }
}
