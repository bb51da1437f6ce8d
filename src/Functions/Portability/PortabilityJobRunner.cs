using Azure;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>Runs export and import jobs: a request's first share, and the jobs timer's continuation (<see cref="IPortabilityJobRunner"/>).</summary>
public sealed class PortabilityJobRunner(PortabilityJobStore jobs, BundleExporter exporter, BundleImporter importer) : IPortabilityJobRunner
{
    /// <summary>The kinds an import accepts: a bundle naming another is refused in the request.</summary>
    public IReadOnlySet<string> ImportKinds { get; } = importer.Kinds.ToHashSet(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task<bool> RunAsync(UserPartition user, CancellationToken cancellationToken)
    {
        foreach (var (job, etag) in await jobs.UnfinishedAsync(user, cancellationToken).ConfigureAwait(false))
        {
            await RunAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Runs one job to its end (or to <paramref name="cancellationToken"/>); returns it as it then stands.</summary>
    public async Task<PortabilityJob> RunAsync(UserPartition user, PortabilityJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return await jobs.GetAsync(user, job.Id, cancellationToken).ConfigureAwait(false) is { } found
            ? found.Job.Finished ? found.Job : await RunAsync(user, found.Job, found.ETag, cancellationToken).ConfigureAwait(false)
            : job;
    }

    private async Task<PortabilityJob> RunAsync(UserPartition user, PortabilityJob job, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            return job.Type == PortabilityJob.Export
                ? await exporter.RunAsync(user, job, etag, cancellationToken).ConfigureAwait(false)
                : await importer.RunAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Another run advanced the job meanwhile (a request's share and the timer): that run carries it on.
            return (await jobs.GetAsync(user, job.Id, cancellationToken).ConfigureAwait(false))?.Job ?? job;
        }
    }
}
