using Serverless.Bundles;
using Serverless.Functions.AgentState;
using Serverless.Storage.Events;
using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Portability.Kinds;

/// <summary>
/// Events in bundles: one line per event, stored as an event batch stores them, so each new event is counted in the
/// usage rollups of its day in the transaction that adds it. Events are append-only and known by id and time: an event
/// already there is skipped under every policy (<c>overwrite</c> and <c>keepBoth</c> behave like <c>skip</c>). An event
/// older than the user's event retention is imported (and counted in usage, as it was where it came from) and the
/// report notes that retention deletes it at its next sweep.
/// </summary>
public sealed class EventPort(EventStore events, ExpiryIndex expiry, TimeProvider time) : IBundleKindPort
{
    /// <inheritdoc />
    public string Kind => BundleKinds.Event;

    /// <inheritdoc />
    public async Task ExportAsync(KindExport destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        string? continuation = null;
        do
        {
            var (items, next) = await events.ListAsync(destination.User, null, null, null, 1000, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var e in items)
            {
                await destination.Lines.WriteAsync(PortableLines.Event(e), cancellationToken).ConfigureAwait(false);
            }

            continuation = next;
        }
        while (continuation is not null);
    }

    /// <inheritdoc />
    public async Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var latest = time.GetUtcNow() + EventEndpoints.MaxClockSkew;
        var seen = new HashSet<(long, string)>();
        await foreach (var raw in bundle.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var errors = new Dictionary<string, string[]>();
            if (Resolve(errors, BundleReader.Parse<EventLine>(Kind, raw), latest) is { } e && !seen.Add((e.Event.Time.UtcTicks, e.Event.Id)))
            {
                errors["id"] = ["an event (id and time) may appear once."];
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
        var now = time.GetUtcNow();
        var cutoff = now - await expiry.RetentionOfAsync(source.User, RetentionRules.Events, cancellationToken).ConfigureAwait(false);
        var batch = new List<EventRecord>(EventStore.MaxBatch);
        var (expired, firstExpired, lastNumber) = (0L, (string?)null, 0L);
        async Task FlushAsync()
        {
            if (batch.Count > 0)
            {
                var result = await events.ImportAsync(source.User, batch, cancellationToken).ConfigureAwait(false);
                source.Report.Imported(Kind, result.Stored);
                source.Report.Skipped(Kind, result.Duplicates);
                source.Progress(Kind, lastNumber);
                batch.Clear();
            }
        }

        await foreach (var raw in source.Reader.ReadLinesAsync(Kind, cancellationToken).ConfigureAwait(false))
        {
            var record = Resolve([], BundleReader.Parse<EventLine>(Kind, raw), DateTimeOffset.MaxValue)!;
            batch.Add(record.ReceivedAt == default ? record with { ReceivedAt = now } : record);
            lastNumber = raw.Number;
            if (record.Event.Time <= cutoff)
            {
                expired++;
                firstExpired ??= record.Event.Id;
            }

            if (batch.Count == EventStore.MaxBatch)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }

        await FlushAsync().ConfigureAwait(false);
        if (firstExpired is not null)
        {
            source.Report.Note(Kind, firstExpired,
                $"{expired} event(s) are older than your event retention ({(now - cutoff).TotalDays:0.##} days): imported and counted in usage, they are deleted at retention's next sweep.");
        }
    }

    /// <summary>The event a line stands for, checked by the batch's rules (null with <paramref name="errors"/> filled when it breaks them); <c>ReceivedAt</c> is default when the line has none.</summary>
    private static EventRecord? Resolve(Dictionary<string, string[]> errors, EventLine line, DateTimeOffset latest)
    {
        var e = EventEndpoints.Validate(errors, string.Empty, new EventWrite(
            line.Id, line.Type, line.Time, line.Properties, line.Model, line.PromptTokens, line.CompletionTokens, line.Cost, line.DurationMs, line.ThreadId), latest);
        return e is null ? null : new EventRecord(e, line.ReceivedAt?.ToUniversalTime() ?? default);
    }
}
