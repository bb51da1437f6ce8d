using System.Text;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Bundles;
using Serverless.Functions.Artifacts;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>
/// Artifacts in bundles: one line per artifact (its metadata) and its raw content as a blob file, streamed both ways in
/// bounded memory. Lines are checked with the upload's rules; the quota and the largest artifact are this deployment's
/// and are applied when written (a refused artifact is failed with the reason). A bundle id that is not an artifact id
/// (a command-line importer's) gets one made from its creation time and the id's hash, the same at every import, and a
/// note names it; <c>keepBoth</c> gives a copy such an id from the line's content hash.
/// </summary>
public sealed class ArtifactPort(ArtifactStore artifacts, IOptions<ArtifactOptions> options, TimeProvider time) : IBundleKindPort
{
    /// <summary>Artifacts read per page of the export.</summary>
    private const int PageSize = 1000;

    /// <summary>The longest bundle id accepted (the ids of the API's other resources): it only names the artifact in notes.</summary>
    private const int MaxSourceIdChars = 64;

    /// <inheritdoc />
    public string Kind => BundleKinds.Artifact;

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        string? after = null;
        do
        {
            var (items, next) = await artifacts.ListAsync(destination.User, kind: null, parent: null, PageSize, after, cancellationToken).ConfigureAwait(false);
            foreach (var artifact in items)
            {
                // The raw bytes, inflated from storage as a download serves them; the blob file is named by their SHA-256.
                await destination.StageBlobAsync(artifact.Content.Sha256, token => artifacts.OpenContentAsync(artifact, 0, null, token), cancellationToken).ConfigureAwait(false);
                await destination.Lines.WriteAsync(PortableLines.Artifact(artifact), cancellationToken).ConfigureAwait(false);
            }

            after = next;
        }
        while (after is not null);
    }

    /// <inheritdoc />
    public async Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var raw in bundle.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<ArtifactLine>(Kind, raw);
            var errors = Check(line, bundle.Reader);
            if (errors.Count == 0 && !seen.Add(TargetId(line)))
            {
                errors["id"] = ["id must appear once."];
            }

            if (errors.Count > 0)
            {
                throw KindValidation.Invalid(Kind, raw.Number, errors);
            }
        }
    }

    /// <inheritdoc />
    public async Task ImportAsync(KindImport source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var settings = options.Value;
        var quota = new ArtifactQuota(settings.MaxBytesPerUser, settings.MaxUploadsInFlight, settings.ReservationLifetime);
        await foreach (var raw in source.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<ArtifactLine>(Kind, raw);
            source.Progress(Kind, raw.Number);
            var id = TargetId(line);
            var note = id == line.Id ? string.Empty : $"imported as {id}: '{line.Id}' is not an artifact id. ";
            var now = time.GetUtcNow();
            var starred = line.Starred ?? false;
            var expiresAt = starred ? null : line.HasDefaultExpiry ? ArtifactEndpoints.DefaultExpiry(line.Kind, now, settings) : line.ExpiryTime;
            var bytes = source.Reader.BlobBytes(line.ContentFile);
            if (bytes > settings.MaxUploadBytes)
            {
                source.Report.Failed(Kind, line.Id, $"it has {bytes} bytes; an artifact holds at most {settings.MaxUploadBytes} here.");
                continue;
            }

            if (expiresAt <= now)
            {
                source.Report.Failed(Kind, line.Id, $"it expired at {BundleFormat.Timestamp(expiresAt.Value)}.");
                continue;
            }

            // The line as it would be stored; a line leaving the expiry to the kind's default matches whatever default an earlier import gave.
            var resolved = line with { Id = id, Bytes = bytes, Starred = starred, ExpiresAt = ArtifactLine.Expiry(expiresAt), UpdatedAt = line.UpdatedAt ?? line.CreatedAt };
            var existing = await artifacts.GetAsync(source.User, id, cancellationToken).ConfigureAwait(false);
            if (existing is not null && (Same(existing, resolved, line.HasDefaultExpiry) || source.Conflict == "skip"))
            {
                source.Report.Skipped(Kind);
                continue;
            }

            if (existing is not null && source.Conflict == "keepBoth")
            {
                id = KeepBothId(id, line.HasDefaultExpiry ? resolved with { ExpiresAt = ArtifactLine.Expiry(null) } : resolved);
                resolved = resolved with { Id = id };
                var copy = await artifacts.GetAsync(source.User, id, cancellationToken).ConfigureAwait(false);
                if (copy is not null)
                {
                    if (Same(copy, resolved, line.HasDefaultExpiry))
                    {
                        source.Report.Skipped(Kind);
                    }
                    else
                    {
                        source.Report.Failed(Kind, line.Id, $"{id} exists with other content.");
                    }

                    continue;
                }

                note += $"imported as {id}: a different artifact has its id. ";
                existing = null;
            }

            try
            {
                var content = await source.Reader.OpenBlobAsync(line.ContentFile, cancellationToken).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    await artifacts.ImportAsync(
                        source.User, id, bytes, line.ContentType, content,
                        written => new ArtifactRecord(id, line.Kind, line.Name, line.Parent, starred, expiresAt, line.CreatedAt, resolved.UpdatedAt!.Value, written),
                        existing, quota, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is ArtifactQuotaExceededException or ArtifactUploadsBusyException)
            {
                source.Report.Failed(Kind, line.Id, e.Message);
                continue;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                source.Report.Failed(Kind, line.Id, $"the artifact {id} was written by another request meanwhile.");
                continue;
            }

            source.Report.Imported(Kind);
            if (note.Length > 0)
            {
                source.Report.Note(Kind, line.Id, note.TrimEnd());
            }
        }
    }

    /// <summary>The upload's rules for a line, and its reference to a blob file of the bundle of the length it says.</summary>
    private static Dictionary<string, string[]> Check(ArtifactLine line, BundleReader reader)
    {
        var errors = new Dictionary<string, string[]>();
        if (!ArtifactStore.IsId(line.Id) && (line.Id.Length is 0 or > MaxSourceIdChars || line.Id.Any(char.IsControl)))
        {
            errors["id"] = [$"id must be an artifact id, or another id of 1 to {MaxSourceIdChars} characters without control characters (it then gets an artifact id)."];
        }

        if (!ArtifactUpload.IsKind(line.Kind))
        {
            errors["kind"] = ["kind must be 1 to 32 of a-z 0-9 . _ - starting with a letter."];
        }

        if (!ArtifactUpload.IsName(line.Name))
        {
            errors["name"] = [$"name must be 1 to {ArtifactUpload.MaxNameChars} characters, no control characters."];
        }

        if (!ArtifactUpload.IsContentType(line.ContentType))
        {
            errors["contentType"] = [$"contentType must be a media type of at most {ArtifactUpload.MaxContentTypeChars} characters."];
        }

        if (line.Parent is { } parent && !ArtifactUpload.IsParent(parent))
        {
            errors["parent"] = ["parent must be 1 to 128 of A-Z a-z 0-9 . _ : - starting with a letter or digit."];
        }

        if (!reader.HasBlob(line.ContentFile))
        {
            errors["contentFile"] = ["contentFile must name a blob file listed in the bundle."];
        }
        else if (line.Bytes is { } bytes && bytes != reader.BlobBytes(line.ContentFile))
        {
            errors["bytes"] = [$"bytes must be the length of {line.ContentFile} ({reader.BlobBytes(line.ContentFile)})."];
        }

        try
        {
            if (line.ExpiryTime is not null && line.Starred == true)
            {
                errors["expiresAt"] = ["A starred artifact does not expire: expiresAt must be null or left out."];
            }
        }
        catch (FormatException e)
        {
            errors["expiresAt"] = [e.Message];
        }

        if (line.UpdatedAt < line.CreatedAt)
        {
            errors["updatedAt"] = ["updatedAt must not be before createdAt."];
        }

        return errors;
    }

    /// <summary>
    /// The id the artifact is imported under: its own when it is an artifact id; else its creation time inverted (so it
    /// lists where it belongs, newest first) and 8 hex digits of the id's SHA-256, the same at every import.
    /// </summary>
    private static string TargetId(ArtifactLine line) =>
        ArtifactStore.IsId(line.Id) ? line.Id : UserRowKeys.InvertedTicks(line.CreatedAt) + "-" + BundleFormat.Sha256Hex(Encoding.UTF8.GetBytes(line.Id))[..8];

    /// <summary>The id of a copy under <c>keepBoth</c>: the id's time part and 8 hex digits of the line's content hash (the same for the same line; a default expiry is hashed as such, not as the time it gives).</summary>
    private static string KeepBothId(string id, ArtifactLine resolved) =>
        id[..id.IndexOf('-', StringComparison.Ordinal)] + "-" + BundleFormat.Sha256Hex(JsonSerializer.SerializeToUtf8Bytes(resolved with { Id = string.Empty }, BundleManifest.JsonOptions))[..8];

    /// <summary>Whether a stored artifact is the line's (content by its SHA-256); with the kind's default expiry, whatever expiry it has.</summary>
    private static bool Same(ArtifactRecord stored, ArtifactLine resolved, bool defaultExpiry)
    {
        var line = PortableLines.Artifact(stored);
        return PortableLines.Same(defaultExpiry ? line with { ExpiresAt = resolved.ExpiresAt } : line, resolved);
    }
}
