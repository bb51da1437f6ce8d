using Serverless.Bundles;
using Serverless.Functions.AgentState;
using Serverless.Storage.Memories;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>
/// Memories in bundles: one line per memory, its word index rebuilt on import as a PUT builds it (so search finds
/// imported memories). A memory is named by scope, namespace and key and has no id to give a copy, so <c>keepBoth</c>
/// keeps the one there, as <c>skip</c> does.
/// </summary>
public sealed class MemoryPort(MemoryStore memories) : IBundleKindPort
{
    /// <inheritdoc />
    public string Kind => BundleKinds.Memory;

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await foreach (var m in memories.ScanAsync(destination.User, cancellationToken).ConfigureAwait(false))
        {
            await destination.Lines.WriteAsync(PortableLines.Memory(m), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var seen = new HashSet<(string, string, string)>();
        await foreach (var raw in bundle.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<MemoryLine>(Kind, raw);
            var errors = new Dictionary<string, string[]>();
            Resolve(errors, line);
            if (errors.Count == 0 && !seen.Add((line.Scope, line.Namespace, line.Key)))
            {
                errors["key"] = ["a memory (scope, namespace, key) may appear once."];
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
            var memory = Resolve([], BundleReader.Parse<MemoryLine>(Kind, raw))!;
            var existing = await memories.GetAsync(source.User, memory.Scope, memory.Namespace, memory.Key, cancellationToken).ConfigureAwait(false);
            var equal = existing is not null && PortableLines.Same(PortableLines.Memory(existing), PortableLines.Memory(memory));
            if (existing is null || (!equal && source.Conflict == "overwrite"))
            {
                await memories.ImportAsync(source.User, memory, cancellationToken).ConfigureAwait(false);
                source.Report.Imported(Kind);
            }
            else
            {
                source.Report.Skipped(Kind);
            }

            source.Progress(Kind, raw.Number);
        }
    }

    /// <summary>The memory a line stands for, checked by the PUT's rules (null with <paramref name="errors"/> filled when it breaks them).</summary>
    private static MemoryRecord? Resolve(Dictionary<string, string[]> errors, MemoryLine line)
    {
        var write = MemoryEndpoints.Validate(errors, line.Scope, line.Namespace, line.Key,
            new MemoryPut(line.Value, line.Tags, new MemorySource(line.SourceThreadId, line.SourceMessageSequence)));
        if (line.UpdatedAt < line.CreatedAt)
        {
            errors["updatedAt"] = ["updatedAt must not be before createdAt."];
        }

        return errors.Count > 0 ? null : new MemoryRecord(line.Scope, line.Namespace, line.Key, write!, line.CreatedAt, line.UpdatedAt ?? line.CreatedAt, default);
    }
}
