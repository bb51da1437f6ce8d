using Serverless.Storage.Portability;

namespace Serverless.Functions.Portability;

/// <summary>The optional body of <c>POST /api/v1/me/export</c>.</summary>
/// <param name="SecretsPassphrase">
/// Seals each integration secret in the bundle under a key derived from it (12 to 1,024 printable ASCII characters; the
/// import then takes it in the <c>Secrets-Passphrase</c> header). Absent: secrets are left out, and the job counts them.
/// </param>
public sealed record ExportRequest(string? SecretsPassphrase);

/// <summary>An export or import job as the API shows it.</summary>
/// <param name="Id">The job id.</param>
/// <param name="Type"><c>export</c> or <c>import</c>.</param>
/// <param name="State"><c>queued</c>, <c>running</c>, <c>done</c> or <c>failed</c>.</param>
/// <param name="Phase"><c>collecting</c>, <c>assembling</c> (export), <c>validating</c>, <c>writing</c> (import), <c>finished</c>; <c>queued</c> before it starts.</param>
/// <param name="CreatedAt">When it was requested.</param>
/// <param name="UpdatedAt">Its last checkpoint.</param>
/// <param name="Conflict">An import's policy: <c>skip</c>, <c>overwrite</c> or <c>keepBoth</c>.</param>
/// <param name="Progress">Resources handled so far, per bundle kind.</param>
/// <param name="Totals">Resources in the bundle per kind, once known.</param>
/// <param name="BundleBytes">The bundle's length (an export's once done; an import's as uploaded).</param>
/// <param name="Download">Where a finished export's bundle is downloaded.</param>
/// <param name="Report">An import's outcome per kind.</param>
/// <param name="SecretsLeftOut">An export's integration secrets not in the bundle (no <c>secretsPassphrase</c> given, or a secret that no longer decrypts); null for imports.</param>
/// <param name="ErrorCode">A failed job's stable code (a bundle check: <c>bundle_checksum</c>, <c>bundle_line</c>, …).</param>
/// <param name="Error">What failed.</param>
public sealed record PortabilityJobView(
    string Id,
    string Type,
    string State,
    string Phase,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Conflict,
    IReadOnlyDictionary<string, long> Progress,
    IReadOnlyDictionary<string, long>? Totals,
    long? BundleBytes,
    string? Download,
    IReadOnlyList<ImportKindReportView>? Report,
    long? SecretsLeftOut,
    string? ErrorCode,
    string? Error)
{
    /// <summary>Maps a stored job.</summary>
    public static PortabilityJobView From(PortabilityJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new(job.Id, job.Type, job.State, job.Phase, job.CreatedAt, job.UpdatedAt, job.Conflict, job.Progress, job.Totals, job.BundleBytes,
            job.Type == PortabilityJob.Export && job.State == "done" ? $"/api/v1/me/exports/{job.Id}/bundle" : null,
            job.Report?.Select(r => new ImportKindReportView(r.Kind, r.Imported, r.Skipped, r.Failed,
                [.. r.Failures.Select(f => new ImportIssueView(f.Id, f.Reason))], [.. r.Notes.Select(n => new ImportIssueView(n.Id, n.Reason))])).ToList(),
            job.SecretsLeftOut, job.ErrorCode, job.Error);
    }
}

/// <summary>What an import did with one kind.</summary>
/// <param name="Kind">The bundle kind.</param>
/// <param name="Imported">Written.</param>
/// <param name="Skipped">Already there (equal, or kept by the policy).</param>
/// <param name="Failed">Refused.</param>
/// <param name="Failures">Why, per resource (the first 50).</param>
/// <param name="Notes">What to know about imported resources (the first 50).</param>
public sealed record ImportKindReportView(string Kind, long Imported, long Skipped, long Failed, IReadOnlyList<ImportIssueView> Failures, IReadOnlyList<ImportIssueView> Notes);

/// <summary>One resource's failure or note.</summary>
/// <param name="Id">The resource's id in the bundle.</param>
/// <param name="Reason">What happened.</param>
public sealed record ImportIssueView(string Id, string Reason);
