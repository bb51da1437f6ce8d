namespace Serverless.Storage.Portability;

/// <summary>What an export or import job is and where it stands, as kept in its <c>port|{id}</c> row.</summary>
/// <param name="Id">The job id (<c>exp_…</c> or <c>imp_…</c>).</param>
/// <param name="Type"><see cref="PortabilityJob.Export"/> or <see cref="PortabilityJob.Import"/>.</param>
/// <param name="State"><c>queued</c>, <c>running</c>, <c>done</c> or <c>failed</c>.</param>
/// <param name="Phase">What it is doing: <c>collecting</c>, <c>assembling</c> (export); <c>validating</c>, <c>writing</c> (import); <c>finished</c>.</param>
/// <param name="CreatedAt">When it was requested.</param>
/// <param name="UpdatedAt">Its last checkpoint.</param>
public sealed record PortabilityJob(string Id, string Type, string State, string Phase, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The type of an export job.</summary>
    public const string Export = "export";

    /// <summary>The type of an import job.</summary>
    public const string Import = "import";

    /// <summary>For imports: <c>skip</c>, <c>overwrite</c> or <c>keepBoth</c>.</summary>
    public string? Conflict { get; init; }

    /// <summary>Parts finished and checkpointed (an export's kinds groups; an import's kinds), so a resumed job skips them.</summary>
    public IReadOnlyList<string> Done { get; init; } = [];

    /// <summary>Resources handled so far, per bundle kind.</summary>
    public IReadOnlyDictionary<string, long> Progress { get; init; } = new Dictionary<string, long>();

    /// <summary>Resources in the bundle per kind (imports, after validation; exports, once assembled).</summary>
    public IReadOnlyDictionary<string, long>? Totals { get; init; }

    /// <summary>The bundle's blob: the export's result, or the uploaded import.</summary>
    public string? BundleBlob { get; init; }

    /// <summary>The bundle's length in bytes.</summary>
    public long? BundleBytes { get; init; }

    /// <summary>For imports: per kind what was imported, skipped and failed.</summary>
    public IReadOnlyList<ImportKindReport>? Report { get; init; }

    /// <summary>For a failed job: the stable code (e.g. <c>bundle_checksum</c>).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>For a failed job: what failed.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// The user's secrets passphrase (an export's <c>secretsPassphrase</c>, an import's <c>Secrets-Passphrase</c>),
    /// encrypted by the caller with the server's key, never in clear; dropped when the job is saved finished.
    /// </summary>
    public string? PassphraseCipher { get; init; }

    /// <summary>For exports: integration secrets left out of the bundle (no passphrase given, or a secret that no longer decrypts).</summary>
    public long? SecretsLeftOut { get; init; }

    /// <summary>Whether it is finished (done or failed).</summary>
    public bool Finished => State is "done" or "failed";
}

/// <summary>What an import did with one kind.</summary>
/// <param name="Kind">The bundle kind.</param>
/// <param name="Imported">Resources written.</param>
/// <param name="Skipped">Resources already there (equal, or kept by the <c>skip</c> policy).</param>
/// <param name="Failed">Resources refused.</param>
/// <param name="Failures">Why, per resource (the first <see cref="ImportKindReport.MaxFailures"/>).</param>
/// <param name="Notes">What the user should know about imported resources (e.g. a mission's new secret), the first <see cref="ImportKindReport.MaxFailures"/>.</param>
public sealed record ImportKindReport(string Kind, long Imported, long Skipped, long Failed, IReadOnlyList<ImportIssue> Failures, IReadOnlyList<ImportIssue> Notes)
{
    /// <summary>Failures and notes kept per kind (the row has a size limit; counts are exact).</summary>
    public const int MaxFailures = 50;
}

/// <summary>One resource's failure or note.</summary>
/// <param name="Id">The resource's id in the bundle.</param>
/// <param name="Reason">What happened.</param>
public sealed record ImportIssue(string Id, string Reason);
