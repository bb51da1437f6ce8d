using System.Text.Json;
using Serverless.Bundles;
using Serverless.Functions.AgentState;
using Serverless.Storage.Runs;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>
/// Runs in bundles: one line per run, its status as it is (a run that ended stays ended: no transition check on import,
/// but the status must be a known one), input, output and error over <see cref="BundleFormat.InlineTextChars"/>
/// characters as blob files. The list rows and the per-status counters are rebuilt on import as the API builds them.
/// </summary>
public sealed class RunPort(RunStore runs) : IBundleKindPort
{
    /// <summary>Largest blob file of a run text: the API's longest text, as UTF-8.</summary>
    private const long MaxTextFileBytes = 4L * RunEndpoints.MaxTextChars;

    /// <inheritdoc />
    public string Kind => BundleKinds.Run;

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await foreach (var r in runs.ScanAsync(destination.User, cancellationToken).ConfigureAwait(false))
        {
            var input = await destination.StageTextAsync(r.InputJson, cancellationToken).ConfigureAwait(false);
            var output = await destination.StageTextAsync(r.OutputJson, cancellationToken).ConfigureAwait(false);
            var error = await destination.StageTextAsync(r.ErrorJson, cancellationToken).ConfigureAwait(false);
            await destination.Lines.WriteAsync(PortableLines.Run(r, input, output, error), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var raw in bundle.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<RunLine>(Kind, raw);
            var (_, errors) = await ResolveAsync(bundle.Reader, line, raw.Number, cancellationToken).ConfigureAwait(false);
            if (errors.Count == 0 && !seen.Add(line.Id))
            {
                errors["id"] = ["a run id may appear once."];
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
        await foreach (var raw in source.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var (run, _) = await ResolveAsync(source.Reader, BundleReader.Parse<RunLine>(Kind, raw), raw.Number, cancellationToken).ConfigureAwait(false);
            source.Progress(Kind, raw.Number);
            var line = PortableLines.Run(run!, null, null, null);
            var existing = await runs.GetAsync(source.User, run!.Id, cancellationToken).ConfigureAwait(false);
            if (existing is not null && (PortableLines.Same(PortableLines.Run(existing, null, null, null), line) || source.Conflict is "skip"))
            {
                source.Report.Skipped(Kind);
                continue;
            }

            if (existing is not null && source.Conflict == "keepBoth")
            {
                var id = PortableLines.KeepBothId(run.Id, BundleFormat.Sha256Hex(JsonSerializer.SerializeToUtf8Bytes(line with { Id = string.Empty }, BundleManifest.JsonOptions)));
                var copy = await runs.GetAsync(source.User, id, cancellationToken).ConfigureAwait(false);
                if (copy is not null)
                {
                    if (PortableLines.Same(PortableLines.Run(copy, null, null, null), line with { Id = id }))
                    {
                        source.Report.Skipped(Kind);
                    }
                    else
                    {
                        source.Report.Failed(Kind, run.Id, $"{id} exists with other content.");
                    }

                    continue;
                }

                run = run with { Id = id };
                source.Report.Note(Kind, line.Id, $"imported as {id}: a different run has its id.");
            }

            await runs.ImportAsync(source.User, run, cancellationToken).ConfigureAwait(false);
            source.Report.Imported(Kind);
        }
    }

    /// <summary>
    /// The run a line stands for (texts read from their blob files), checked by the POST's rules; null with the errors
    /// when it breaks them.
    /// </summary>
    private static async Task<(RunRecord? Run, Dictionary<string, string[]> Errors)> ResolveAsync(BundleReader reader, RunLine line, long number, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var input = await TextAsync(reader, errors, "input", line.Input, line.InputFile, number, cancellationToken).ConfigureAwait(false);
        var output = await TextAsync(reader, errors, "output", line.Output, line.OutputFile, number, cancellationToken).ConfigureAwait(false);
        var error = await TextAsync(reader, errors, "error", line.Error, line.ErrorFile, number, cancellationToken).ConfigureAwait(false);
        var body = new RunCreate(line.Id, line.Kind, line.Name, line.Status, line.ThreadId, line.MessageSequence, line.ParentRunId, line.MissionId,
            input, output, error, line.Model, line.PromptTokens, line.CompletionTokens, line.Cost, line.Metadata, line.StartedAt, line.EndedAt);
        var (inputJson, outputJson, errorJson, metadata) = RunEndpoints.Validate(errors, body);
        if (line.UpdatedAt < line.CreatedAt)
        {
            errors["updatedAt"] = ["updatedAt must not be before createdAt."];
        }

        return errors.Count > 0
            ? (null, errors)
            : (new RunRecord(line.Id, line.Kind, line.Name, line.Status, line.ThreadId, line.MessageSequence, line.ParentRunId, line.MissionId, inputJson, outputJson, errorJson,
                line.Model, line.PromptTokens, line.CompletionTokens, line.Cost, metadata, line.CreatedAt, line.UpdatedAt ?? line.CreatedAt, line.StartedAt, line.EndedAt), errors);
    }

    /// <summary>A text member: inline, or the JSON its blob file holds (which must be listed, UTF-8 and JSON); never both.</summary>
    private static async Task<JsonElement?> TextAsync(
        BundleReader reader, Dictionary<string, string[]> errors, string field, JsonElement? inline, string? file, long number, CancellationToken cancellationToken)
    {
        if (file is null)
        {
            return inline;
        }

        if (inline is { ValueKind: not JsonValueKind.Null })
        {
            errors[field] = [$"{field} and {field}File cannot both be given."];
            return null;
        }

        if (!reader.HasBlob(file))
        {
            throw new BundleException(BundleErrors.MissingEntry, $"{BundleFormat.KindFile(BundleKinds.Run)} line {number} references {file}, which the bundle does not list.");
        }

        try
        {
            using var document = JsonDocument.Parse(PortableLines.Text(await reader.ReadBlobAsync(file, MaxTextFileBytes, cancellationToken).ConfigureAwait(false)));
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or System.Text.DecoderFallbackException)
        {
            errors[field + "File"] = ["the file must hold JSON as UTF-8."];
            return null;
        }
    }
}
