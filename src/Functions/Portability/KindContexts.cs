using System.Text;
using Serverless.Bundles;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>What a port's export writes to: the kind's staged NDJSON, and the job's staged blob files.</summary>
public sealed class KindExport
{
    private const string BlobPartPrefix = "blob.";

    private readonly PortabilityJobStore jobs;

    internal KindExport(PortabilityJobStore jobs, UserPartition user, PortabilityJob job, NdjsonLineWriter lines)
    {
        this.jobs = jobs;
        User = user;
        Job = job;
        Lines = lines;
    }

    /// <summary>The exporting user.</summary>
    public UserPartition User { get; }

    /// <summary>The export job.</summary>
    public PortabilityJob Job { get; }

    /// <summary>The kind's lines.</summary>
    public NdjsonLineWriter Lines { get; }

    /// <summary>Secrets the kind left out of the bundle; the job shows the count (<see cref="PortabilityJob.SecretsLeftOut"/>).</summary>
    public long SecretsLeftOut { get; private set; }

    /// <summary>Counts <paramref name="count"/> secrets left out of the bundle.</summary>
    public void LeaveOutSecrets(long count) => SecretsLeftOut += count;

    /// <summary>The prefix of staged blob parts: <see cref="BundleExporter"/> adds every such part to the bundle.</summary>
    internal static string BlobPart(string sha256) => BlobPartPrefix + sha256;

    /// <summary>The staged-part prefix of blob files.</summary>
    internal static string BlobParts => BlobPartPrefix;

    /// <summary>
    /// Stages <paramref name="text"/> as a blob file when it is longer than <see cref="BundleFormat.InlineTextChars"/>
    /// and returns its file name (<c>blobs/{sha256}</c>); null (the text stays inline) otherwise.
    /// </summary>
    public async Task<string?> StageTextAsync(string? text, CancellationToken cancellationToken)
    {
        if (text is null || text.Length <= BundleFormat.InlineTextChars)
        {
            return null;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        var sha = BundleFormat.Sha256Hex(bytes);
        await jobs.UploadAsync(PortabilityJobStore.PartBlobOf(User, Job.Id, BlobPart(sha)), BinaryData.FromBytes(bytes), cancellationToken).ConfigureAwait(false);
        return BundleFormat.BlobFile(sha);
    }

    /// <summary>
    /// Stages the bytes <paramref name="open"/> gives, whose SHA-256 is <paramref name="sha256"/> (the bundle checks it
    /// when assembling), streamed in bounded memory; the same content is staged once. Returns the file name.
    /// </summary>
    public async Task<string> StageBlobAsync(string sha256, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(open);
        var part = PortabilityJobStore.PartBlobOf(User, Job.Id, BlobPart(sha256));
        if (await jobs.LengthAsync(part, cancellationToken).ConfigureAwait(false) is null)
        {
            var content = await open(cancellationToken).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                var output = await jobs.OpenWriteAsync(part, cancellationToken).ConfigureAwait(false);
                await using (output.ConfigureAwait(false))
                {
                    await content.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return BundleFormat.BlobFile(sha256);
    }
}

/// <summary>What a port's validation reads: the bundle, and the thread ids it carries (for references to threads).</summary>
/// <param name="Reader">The bundle.</param>
/// <param name="User">The importing user.</param>
/// <param name="Threads">The ids of the threads in the bundle's thread file.</param>
public sealed record KindValidation(BundleReader Reader, UserPartition User, IReadOnlySet<string> Threads)
{
    /// <summary>The failure of line <paramref name="number"/> of <paramref name="kind"/>, with each member's errors.</summary>
    public static BundleException Invalid(string kind, long number, IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return new(BundleErrors.Line, $"{BundleFormat.KindFile(kind)} line {number}: {string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}");
    }
}

/// <summary>What a port's import works with: the validated bundle, the policy, the report and the progress.</summary>
public sealed class KindImport
{
    private readonly Dictionary<string, long> progress;

    internal KindImport(UserPartition user, PortabilityJob job, BundleReader reader, string conflict, ImportReport report, Dictionary<string, long> progress)
    {
        User = user;
        Job = job;
        Reader = reader;
        Conflict = conflict;
        Report = report;
        this.progress = progress;
    }

    /// <summary>The importing user.</summary>
    public UserPartition User { get; }

    /// <summary>The import job.</summary>
    public PortabilityJob Job { get; }

    /// <summary>The bundle (validated).</summary>
    public BundleReader Reader { get; }

    /// <summary><c>skip</c>, <c>overwrite</c> or <c>keepBoth</c>.</summary>
    public string Conflict { get; }

    /// <summary>The report the port counts its resources in.</summary>
    public ImportReport Report { get; }

    /// <summary>Records that the lines of <paramref name="kind"/> up to <paramref name="lineNumber"/> are handled.</summary>
    public void Progress(string kind, long lineNumber) => progress[kind] = lineNumber;
}
