using System.Text.Json;
using Serverless.Bundles;
using Serverless.Functions.AgentState;
using Serverless.Storage.Records;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>
/// Records in bundles: one line per live record, parents before their children (each collection walked from its roots
/// down), documents over 16,384 characters as blob files. An import writes each record as an API write leaves it (list
/// copies, quota counters and expiry rebuilt by the store), keeping ids and times; quotas refuse records one by one. A
/// record whose parent is gone (expired) travels without <c>parentId</c>, as bundles name only parents they carry or the
/// importing user has; an expired record in a bundle is skipped with a note. Under <c>keepBoth</c> a copy gets
/// <see cref="PortableLines.KeepBothId"/> and the bundle's children of the record follow the copy.
/// </summary>
public sealed class RecordPort(RecordStore records, TimeProvider time) : IBundleKindPort
{
    /// <summary>Records per page read: a page is held at each level of a tree walk, and a document may be up to 1 MB.</summary>
    private const int PageSize = 25;

    /// <inheritdoc />
    public string Kind => BundleKinds.Record;

    /// <summary>A stored record's line (its document inline), in the canonical form lines are compared in.</summary>
    public static RecordLine Line(RecordItem r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Collection, r.Id, AgentValidation.Element(r.DataJson), null, r.Status, r.ParentId, Sorted(r.Counters), r.CreatedAt, r.UpdatedAt, r.ExpiresAt);
    }

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var user = destination.User;
        foreach (var collection in await records.CollectionsAsync(user, cancellationToken).ConfigureAwait(false))
        {
            // Ids written, so a record moved during the export is written once (bounded by the collection quota).
            var written = new HashSet<string>(StringComparer.Ordinal);
            string? continuation = null;
            do
            {
                var (items, next) = await records.ListAsync(user, collection.Collection, new RecordListQuery(false, null, null), PageSize, continuation, cancellationToken).ConfigureAwait(false);
                foreach (var item in items)
                {
                    // A record with a live parent is written under it; one whose parent is gone is a root of its own.
                    if (item.ParentId is { } parent && await records.GetAsync(user, item.Collection, parent, cancellationToken).ConfigureAwait(false) is not null)
                    {
                        continue;
                    }

                    await WriteTreeAsync(destination, item with { ParentId = null }, written, cancellationToken).ConfigureAwait(false);
                }

                continuation = next;
            }
            while (continuation is not null);
        }
    }

    /// <inheritdoc />
    public async Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);

        // Each record of the bundle with its number of ancestors (parents must come first, and chains stay within MaxDepth).
        var seen = new Dictionary<(string, string), int>();
        await foreach (var raw in bundle.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<RecordLine>(Kind, raw);
            var errors = new Dictionary<string, string[]>();
            RecordEndpoints.Names(errors, line.Collection, line.Id);
            if (line.Data is { ValueKind: not JsonValueKind.Null } && line.DataFile is not null)
            {
                errors["data"] = ["the document is inline or in a file, not both."];
            }

            RecordEndpoints.Data(errors, await DataAsync(bundle.Reader, line, raw.Number, cancellationToken).ConfigureAwait(false), required: false);

            // expiresAt is not checked against the clock here: an expired record is skipped when written, not a fault of the bundle.
            RecordEndpoints.Fields(errors, line.Status, line.ParentId, line.Counters, null, time);
            if (seen.ContainsKey((line.Collection, line.Id)))
            {
                errors["id"] = ["the record appears twice in its collection."];
            }

            var ancestors = 0;
            if (errors.Count == 0 && line.ParentId is { } parent)
            {
                if (seen.TryGetValue((line.Collection, parent), out var above))
                {
                    ancestors = above + 1;
                    if (ancestors > RecordEndpoints.MaxDepth)
                    {
                        errors["parentId"] = [$"A record may have at most {RecordEndpoints.MaxDepth} ancestors."];
                    }
                }
                else
                {
                    var (error, stored) = await RecordEndpoints.CheckParentAsync(records, bundle.User, line.Collection, line.Id, parent, cancellationToken).ConfigureAwait(false);
                    ancestors = stored;
                    if (error is not null)
                    {
                        errors["parentId"] = [$"{error} The parent comes earlier in the bundle or exists already."];
                    }
                }
            }

            if (errors.Count > 0)
            {
                throw KindValidation.Invalid(Kind, raw.Number, errors);
            }

            seen[(line.Collection, line.Id)] = ancestors;
        }
    }

    /// <inheritdoc />
    public async Task ImportAsync(KindImport source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var user = source.User;

        // Where each record of the bundle went: its final id (a keepBoth copy's), or null when it was not imported.
        var final = new Dictionary<(string, string), string?>();
        var expired = new HashSet<(string, string)>();
        await foreach (var raw in source.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<RecordLine>(Kind, raw);
            source.Progress(Kind, raw.Number);
            var key = (line.Collection, line.Id);
            final[key] = null;
            var now = time.GetUtcNow();
            string? note = null;
            var parent = line.ParentId;
            if (parent is not null && expired.Contains((line.Collection, parent)))
            {
                note = $"imported without parentId: its parent {parent} had expired (retention leaves children when it removes a parent).";
                parent = null;
            }
            else if (parent is not null && final.TryGetValue((line.Collection, parent), out var parentFinal))
            {
                if (parentFinal is null)
                {
                    source.Report.Failed(Kind, Id(line), $"its parent {parent} was not imported.");
                    continue;
                }

                parent = parentFinal;
            }

            if (line.ExpiresAt is { } expiresAt && expiresAt <= now)
            {
                expired.Add(key);
                source.Report.Skipped(Kind);
                source.Report.Note(Kind, Id(line), $"not imported: it expired at {BundleFormat.Timestamp(expiresAt)}.");
                continue;
            }

            var data = await DataAsync(source.Reader, line, raw.Number, cancellationToken).ConfigureAwait(false);
            var existing = await records.GetAsync(user, line.Collection, line.Id, cancellationToken).ConfigureAwait(false);
            var createdAt = line.CreatedAt ?? existing?.CreatedAt ?? now;
            var wanted = new RecordLine(line.Collection, line.Id, data is { ValueKind: not JsonValueKind.Null } ? data : AgentValidation.Element("{}"), null, line.Status, parent,
                Sorted(line.Counters), createdAt, line.UpdatedAt ?? createdAt, line.ExpiresAt);
            var id = line.Id;
            if (existing is not null)
            {
                if (PortableLines.Same(Line(existing), wanted) || source.Conflict == "skip")
                {
                    source.Report.Skipped(Kind);
                    final[key] = id;
                    continue;
                }

                if (source.Conflict == "keepBoth")
                {
                    id = PortableLines.KeepBothId(id, BundleFormat.Sha256Hex(JsonSerializer.SerializeToUtf8Bytes(wanted with { Id = string.Empty }, BundleManifest.JsonOptions)));
                    if (await records.GetAsync(user, line.Collection, id, cancellationToken).ConfigureAwait(false) is { } copy)
                    {
                        if (PortableLines.Same(Line(copy), wanted with { Id = id }))
                        {
                            source.Report.Skipped(Kind);
                            final[key] = id;
                        }
                        else
                        {
                            source.Report.Failed(Kind, Id(line), $"{id} exists with other content.");
                        }

                        continue;
                    }

                    note = $"imported as {id}: a different record has its id." + (note is null ? string.Empty : " " + note);
                }
            }

            try
            {
                await records.ImportAsync(user, line.Collection, id, new RecordState(JsonSerializer.Serialize(wanted.Data), wanted.Status, parent, wanted.ExpiresAt, wanted.Counters!),
                    wanted.CreatedAt!.Value, wanted.UpdatedAt!.Value, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordQuotaException e)
            {
                source.Report.Failed(Kind, Id(line), $"the {e.Quota} quota ({e.Limit}) would be exceeded.");
                continue;
            }

            final[key] = id;
            source.Report.Imported(Kind);
            if (note is not null)
            {
                source.Report.Note(Kind, Id(line), note);
            }
        }
    }

    /// <summary>Writes <paramref name="item"/>, then its children (by id) and theirs, depth first: parents before children.</summary>
    private async Task WriteTreeAsync(KindExport destination, RecordItem item, HashSet<string> written, CancellationToken cancellationToken)
    {
        if (!written.Add(item.Id))
        {
            return;
        }

        var line = Line(item);
        if (await destination.StageTextAsync(item.DataJson, cancellationToken).ConfigureAwait(false) is { } file)
        {
            line = line with { Data = null, DataFile = file };
        }

        await destination.Lines.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        string? continuation = null;
        do
        {
            var (children, next) = await records.ListAsync(destination.User, item.Collection, new RecordListQuery(false, null, item.Id), PageSize, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var child in children)
            {
                await WriteTreeAsync(destination, child, written, cancellationToken).ConfigureAwait(false);
            }

            continuation = next;
        }
        while (continuation is not null);
    }

    /// <summary>A line's document: inline, or read from its blob file (a JSON text of at most <see cref="RecordEndpoints.MaxDataBytes"/>).</summary>
    private static async Task<JsonElement?> DataAsync(BundleReader reader, RecordLine line, long number, CancellationToken cancellationToken)
    {
        if (line.DataFile is not { } file)
        {
            return line.Data;
        }

        if (!reader.HasBlob(file))
        {
            throw new BundleException(BundleErrors.MissingEntry, $"{BundleFormat.KindFile(BundleKinds.Record)} line {number} references {file}, which the bundle does not list.");
        }

        try
        {
            return AgentValidation.Element(PortableLines.Text(await reader.ReadBlobAsync(file, RecordEndpoints.MaxDataBytes, cancellationToken).ConfigureAwait(false)));
        }
        catch (Exception e) when (e is JsonException or System.Text.DecoderFallbackException)
        {
            throw new BundleException(BundleErrors.Line, $"{file} (line {number}) is not a JSON document in UTF-8.", e);
        }
    }

    private static string Id(RecordLine line) => $"{line.Collection}/{line.Id}";

    private static SortedDictionary<string, long> Sorted(IReadOnlyDictionary<string, long>? counters) =>
        new(counters?.ToDictionary() ?? [], StringComparer.Ordinal);
}
