using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Portability;

/// <summary>
/// Export and import jobs of a user: one <c>port|{jobId}|job</c> row each (the job as JSON, the bundle blob it references,
/// its creation time for the <see cref="RetentionRules.Portability"/> rule) and the blobs under
/// <c>{userKey}/port/{jobId}/</c>: the bundle (<c>bundle.zip</c>) and an export's staged parts. The row is written
/// before any blob of the job and rewritten at each checkpoint under its ETag, so two runs of one job cannot both
/// advance it.
/// </summary>
public sealed class PortabilityJobStore(TableClient table, BlobContainerClient container, ExpiryIndex expiry, TimeProvider time)
{
    /// <summary>The column of the job's creation time (retention counts from it).</summary>
    public const string CreatedAtColumn = "CreatedAt";

    private const string JobColumn = "Job";
    private const string BundleColumn = "BundleBlob";
    private const string BundleName = "bundle.zip";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The columns a reference scan reads.</summary>
    public static IReadOnlyList<string> ReferenceColumns { get; } = [BundleColumn];

    /// <summary>The blobs a job row references: its bundle. Staged parts are deleted by the job itself once assembled.</summary>
    public static IEnumerable<BlobReference> References(UserPartition user, TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.GetString(BundleColumn) is { } blob ? [new BlobReference(blob, null, "portability")] : [];
    }

    /// <summary>A new job's id: <c>exp_</c> or <c>imp_</c> and 32 hex digits.</summary>
    public static string NewId(string type) => (type == PortabilityJob.Export ? "exp_" : "imp_") + Guid.NewGuid().ToString("N");

    /// <summary>The bundle blob of a job.</summary>
    public static string BundleBlobOf(UserPartition user, string jobId) => UserBlobNames.Folder(user.Key, UserBlobNames.Portability, jobId) + "/" + BundleName;

    /// <summary>The blob of a staged part of an export (a kind's NDJSON, or a text to bundle as a blob file).</summary>
    public static string PartBlobOf(UserPartition user, string jobId, string part) => UserBlobNames.Folder(user.Key, UserBlobNames.Portability, jobId) + "/" + part;

    /// <summary>Writes a new job row (scheduling its expiry first).</summary>
    public async Task<(PortabilityJob Job, ETag ETag)> CreateAsync(UserPartition user, PortabilityJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        await expiry.ScheduleRowsAsync(user, RetentionRules.Portability, job.CreatedAt, cancellationToken).ConfigureAwait(false);
        var etag = await table.InsertAsync(ToEntity(user, job), cancellationToken).ConfigureAwait(false);
        return (job, etag);
    }

    /// <summary>Reads a job, or null.</summary>
    public async Task<(PortabilityJob Job, ETag ETag)?> GetAsync(UserPartition user, string jobId, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(user.Key, UserRowKeys.ForPortabilityJob(jobId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : (ToJob(row), row.ETag);
    }

    /// <summary>The user's jobs not yet finished, oldest first (one query of the user's job rows).</summary>
    public async Task<IReadOnlyList<(PortabilityJob Job, ETag ETag)>> UnfinishedAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var rows = await table.ReadAllAsync(UserDataKinds.Portability.Filter(user), cancellationToken: cancellationToken).ConfigureAwait(false);
        return rows.Select(r => (ToJob(r), r.ETag)).Where(j => !j.Item1.Finished).OrderBy(j => j.Item1.CreatedAt).ToList();
    }

    /// <summary>Saves a checkpoint under the version read; returns the new version. A finished job is saved without its passphrase.</summary>
    /// <exception cref="RequestFailedException">412 when another run advanced the job meanwhile.</exception>
    public async Task<ETag> SaveAsync(UserPartition user, PortabilityJob job, ETag ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var saved = job with { UpdatedAt = time.GetUtcNow(), PassphraseCipher = job.Finished ? null : job.PassphraseCipher };
        return await table.ReplaceAsync(ToEntity(user, saved), ifMatch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A write stream for a blob of the job (overwritten), buffered in 4 MiB blocks.</summary>
    public Task<Stream> OpenWriteAsync(string blobName, CancellationToken cancellationToken) =>
        container.GetBlockBlobClient(blobName).OpenWriteAsync(overwrite: true, new BlockBlobOpenWriteOptions { BufferSize = 4 * 1024 * 1024 }, cancellationToken);

    /// <summary>A seekable read stream of a blob of the job.</summary>
    public Task<Stream> OpenReadAsync(string blobName, CancellationToken cancellationToken) =>
        container.GetBlobClient(blobName).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 4 * 1024 * 1024 }, cancellationToken);

    /// <summary>A blob's length, or null when it does not exist.</summary>
    public async Task<long?> LengthAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            return (await container.GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ContentLength;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Uploads a staged part from memory (overwritten).</summary>
    public async Task UploadAsync(string blobName, BinaryData content, CancellationToken cancellationToken) =>
        await container.GetBlobClient(blobName).UploadAsync(content, overwrite: true, cancellationToken).ConfigureAwait(false);

    /// <summary>The names of the job's staged parts whose name starts with <paramref name="partPrefix"/>, in name order.</summary>
    public async Task<IReadOnlyList<string>> PartsAsync(UserPartition user, string jobId, string partPrefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = PartBlobOf(user, jobId, partPrefix) }, cancellationToken).ConfigureAwait(false))
        {
            names.Add(item.Name);
        }

        return names;
    }

    /// <summary>Deletes the job's staged parts (everything under its folder but the bundle).</summary>
    public async Task DeletePartsAsync(UserPartition user, string jobId, CancellationToken cancellationToken)
    {
        var bundle = BundleBlobOf(user, jobId);
        foreach (var name in await PartsAsync(user, jobId, string.Empty, cancellationToken).ConfigureAwait(false))
        {
            if (name != bundle)
            {
                await container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes a job: its blobs, then its row (a refused import leaves nothing behind).</summary>
    public async Task DeleteAsync(UserPartition user, string jobId, CancellationToken cancellationToken)
    {
        foreach (var name in await PartsAsync(user, jobId, string.Empty, cancellationToken).ConfigureAwait(false))
        {
            await container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await table.DeleteRowAsync(user.Key, UserRowKeys.ForPortabilityJob(jobId), ETag.All, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a blob of the job if it exists.</summary>
    public Task DeleteBlobAsync(string blobName, CancellationToken cancellationToken) =>
        container.GetBlobClient(blobName).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    private static TableEntity ToEntity(UserPartition user, PortabilityJob job) => new(user.Key, UserRowKeys.ForPortabilityJob(job.Id))
    {
        [JobColumn] = JsonSerializer.Serialize(job, Json),
        [BundleColumn] = job.BundleBlob,
        [CreatedAtColumn] = job.CreatedAt,
    };

    private static PortabilityJob ToJob(TableEntity row) =>
        JsonSerializer.Deserialize<PortabilityJob>(row.GetString(JobColumn) ?? "null", Json) ?? throw new FormatException($"Job row {row.RowKey} holds no job.");
}
