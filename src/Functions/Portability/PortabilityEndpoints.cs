using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Serverless.Bundles;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Functions.Lifecycle;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Portability;

namespace Serverless.Functions.Portability;

/// <summary>
/// Export and import of the caller's data as bundles (docs/bundle-format.md), under <c>/api/v1/me</c>. Both are jobs
/// (design.md §2): the request queues the job and does a bounded first share (<see cref="LifecycleRunOptions.RequestWorkBudget"/>),
/// answers 202 with the job to poll, and the jobs timer carries on. An export's bundle is downloaded from its job;
/// an import's bundle is the request body, stored first, its zip structure and manifest checked in the request (a
/// bundle refused there answers 422 and leaves nothing), the rest checked by the job before it writes anything.
/// </summary>
public static partial class PortabilityEndpoints
{
    /// <summary>Starts an export.</summary>
    public const string ExportRoute = "v1/me/export";

    /// <summary>An export job.</summary>
    public const string ExportJobRoute = "v1/me/exports/{id}";

    /// <summary>An export's bundle.</summary>
    public const string ExportBundleRoute = "v1/me/exports/{id}/bundle";

    /// <summary>Starts an import.</summary>
    public const string ImportRoute = "v1/me/import";

    /// <summary>An import job.</summary>
    public const string ImportJobRoute = "v1/me/imports/{id}";

    /// <summary>The largest bundle an import takes (2 GiB): the operation's body limit.</summary>
    public const long MaxImportBodyBytes = 2L * 1024 * 1024 * 1024;

    private const string ZipType = "application/zip";

    private const string PassphraseRule = "The secrets passphrase is 12 to 1,024 printable ASCII characters.";

    /// <summary>Maps the operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var me = api.MapGroup(string.Empty).WithTags("Account");
        me.MapPost(ExportRoute, StartExport).WithName(nameof(PortabilityFunctions.StartExport))
            .WithSummary("Starts exporting all the caller's data as one bundle (zip: manifest, NDJSON per kind, blobs): 202 with the job to poll; its bundle is downloaded when done. "
                + "An optional body {secretsPassphrase} seals integration secrets under it; without one they are left out (the job's secretsLeftOut).")
            .Accepts<ExportRequest>(isOptional: true, "application/json")
            .Answers<PortabilityJobView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.Location).ProducesProblems(400, 408, 409, 413, 415);
        me.MapGet(ExportJobRoute, GetExport).WithName(nameof(PortabilityFunctions.GetExport))
            .WithSummary("An export job: state, progress per kind, and when done the bundle's size and download link.")
            .Answers<PortabilityJobView>().ProducesProblems(404);
        me.MapGet(ExportBundleRoute, DownloadExport).WithName(nameof(PortabilityFunctions.DownloadExport))
            .WithSummary("Downloads a finished export's bundle (application/zip); kept 7 days by default (retention rule portability).")
            .Produces<Stream>(StatusCodes.Status200OK, ZipType).ProducesProblems(404);
        me.MapPost(ImportRoute, StartImport).WithName(nameof(PortabilityFunctions.StartImport))
            .WithSummary("Imports a bundle sent as the body (application/zip), keeping ids and times; conflict = skip (default), overwrite or keepBoth: 202 with the job to poll, whose report says per kind what was imported, skipped and failed.")
            .Accepts<Stream>(ZipType).Answers<PortabilityJobView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.Location | ApiHeaders.SecretsPassphrase)
            .ProducesProblems(400, 409, 413, 415, 422);
        me.MapGet(ImportJobRoute, GetImport).WithName(nameof(PortabilityFunctions.GetImport))
            .WithSummary("An import job: state, progress per kind, and the report (per kind imported, skipped, failed with reasons); a refused bundle's check and detail.")
            .Answers<PortabilityJobView>().ProducesProblems(404);
    }

    /// <summary>POST an export: an optional JSON body gives the passphrase integration secrets are sealed under.</summary>
    public static async Task<IResult> StartExport(HttpRequest request, CurrentUser user, PortabilityJobStore store, PortabilityJobRunner runner, PortabilityPassphrases passphrases,
        LifecycleJobs lifecycle, IOptions<LifecycleRunOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var passphrase = request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0
            ? (await JsonBody.ReadAsync<ExportRequest>(request, cancellationToken)).SecretsPassphrase
            : null;
        if (passphrase is not null && !SecretSealing.IsPassphrase(passphrase))
        {
            return Problems.Validation("secretsPassphrase", PassphraseRule);
        }

        var now = time.GetUtcNow();
        var id = PortabilityJobStore.NewId(PortabilityJob.Export);
        var (job, _) = await store.CreateAsync(user.Partition, new PortabilityJob(id, PortabilityJob.Export, "queued", "queued", now, now)
        {
            PassphraseCipher = passphrase is null ? null : passphrases.Protect(user.Partition, id, passphrase),
        }, cancellationToken);
        return await QueueAndShareAsync(user, job, "/api/v1/me/exports/", runner, lifecycle, options, time, cancellationToken);
    }

    /// <summary>GET an export job.</summary>
    public static Task<IResult> GetExport(string id, CurrentUser user, PortabilityJobStore store, CancellationToken cancellationToken) =>
        GetJobAsync(id, PortabilityJob.Export, user, store, cancellationToken);

    /// <summary>GET an export's bundle.</summary>
    public static async Task<IResult> DownloadExport(string id, CurrentUser user, PortabilityJobStore store, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, PortabilityJob.Export, user, store, cancellationToken) is not { State: "done", BundleBlob: { } blob })
        {
            return Problems.NotFound("finished export");
        }

        var stream = await store.OpenReadAsync(blob, cancellationToken);
        return TypedResults.Stream(stream, ZipType, $"{id}.zip");
    }

    /// <summary>POST an import: the body is the bundle; the <c>Secrets-Passphrase</c> header opens sealed integration secrets.</summary>
    public static async Task<IResult> StartImport(HttpRequest request, CurrentUser user, PortabilityJobStore store, PortabilityJobRunner runner, PortabilityPassphrases passphrases,
        LifecycleJobs lifecycle, IOptions<LifecycleRunOptions> options, IOptions<PortabilityOptions> portability, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(passphrases);
        var conflict = request.Query["conflict"].ToString() is { Length: > 0 } given ? given : "skip";
        if (conflict is not ("skip" or "overwrite" or "keepBoth"))
        {
            return Problems.Validation("conflict", "conflict must be skip, overwrite or keepBoth.");
        }

        var passphrase = request.Headers[PortabilityPassphrases.Header] is { Count: > 0 } header ? header.ToString() : null;
        if (passphrase is not null && !SecretSealing.IsPassphrase(passphrase))
        {
            return Problems.Validation(PortabilityPassphrases.Header, PassphraseRule);
        }

        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), ZipType, StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Result(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Unsupported media type.", $"Send the bundle as {ZipType}.");
        }

        var now = time.GetUtcNow();
        var id = PortabilityJobStore.NewId(PortabilityJob.Import);
        var blob = PortabilityJobStore.BundleBlobOf(user.Partition, id);
        var (job, etag) = await store.CreateAsync(user.Partition, new PortabilityJob(id, PortabilityJob.Import, "queued", "queued", now, now)
        {
            Conflict = conflict,
            BundleBlob = blob,
            PassphraseCipher = passphrase is null ? null : passphrases.Protect(user.Partition, id, passphrase),
        }, cancellationToken);
        try
        {
            var output = await store.OpenWriteAsync(blob, cancellationToken);
            await using (output)
            {
                await request.Body.CopyToAsync(output, cancellationToken);
            }

            // The zip's directory and manifest are checked here, so a bundle refused at once leaves nothing; the job checks the rest.
            var input = await store.OpenReadAsync(blob, cancellationToken);
            await using (input)
            {
                var limits = BundleLimits.Default with { MaxUncompressedBytes = portability.Value.MaxUncompressedBytes };
                await (await BundleReader.OpenAsync(input, runner.ImportKinds, limits, cancellationToken)).DisposeAsync();
            }

            job = job with { BundleBytes = await store.LengthAsync(blob, cancellationToken) };
            await store.SaveAsync(user.Partition, job, etag, cancellationToken);
        }
        catch (BundleException e)
        {
            await store.DeleteAsync(user.Partition, id, CancellationToken.None);
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, ProblemCodes.InvalidBundle, "Invalid bundle.", $"{e.Code}: {e.Message}");
        }
        catch
        {
            await store.DeleteAsync(user.Partition, id, CancellationToken.None);
            throw;
        }

        return await QueueAndShareAsync(user, job, "/api/v1/me/imports/", runner, lifecycle, options, time, cancellationToken);
    }

    /// <summary>GET an import job.</summary>
    public static Task<IResult> GetImport(string id, CurrentUser user, PortabilityJobStore store, CancellationToken cancellationToken) =>
        GetJobAsync(id, PortabilityJob.Import, user, store, cancellationToken);

    private static async Task<IResult> QueueAndShareAsync(CurrentUser user, PortabilityJob job, string location, PortabilityJobRunner runner, LifecycleJobs lifecycle,
        IOptions<LifecycleRunOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        // Queued before the work starts, so a crash leaves it for the jobs timer.
        await lifecycle.QueueAsync(user.Partition, LifecycleJobKinds.Portability, cancellationToken);
        var ran = await RequestShare.RunAsync(options.Value.RequestWorkBudget, time, token => runner.RunAsync(user.Partition, job, token), cancellationToken);
        return TypedResults.Accepted(location + job.Id, PortabilityJobView.From(ran ?? job));
    }

    private static async Task<IResult> GetJobAsync(string id, string type, CurrentUser user, PortabilityJobStore store, CancellationToken cancellationToken) =>
        await FindAsync(id, type, user, store, cancellationToken) is { } job ? TypedResults.Ok(PortabilityJobView.From(job)) : Problems.NotFound(type);

    private static async Task<PortabilityJob?> FindAsync(string id, string type, CurrentUser user, PortabilityJobStore store, CancellationToken cancellationToken) =>
        JobId().IsMatch(id) && await store.GetAsync(user.Partition, id, cancellationToken) is { } found && found.Job.Type == type ? found.Job : null;

    [GeneratedRegex("^(exp|imp)_[0-9a-f]{32}$")]
    private static partial Regex JobId();
}
