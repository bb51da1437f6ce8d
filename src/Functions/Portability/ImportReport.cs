using Serverless.Storage.Portability;

namespace Serverless.Functions.Portability;

/// <summary>Counts an import's outcome per kind as it goes (exact counts; the first reasons kept).</summary>
public sealed class ImportReport
{
    private readonly Dictionary<string, (long Imported, long Skipped, long Failed, List<ImportIssue> Failures, List<ImportIssue> Notes)> kinds = [];

    /// <summary>A report of the kinds in <paramref name="order"/>, going on from <paramref name="saved"/> (a resumed job's).</summary>
    public ImportReport(IEnumerable<string> order, IReadOnlyList<ImportKindReport>? saved)
    {
        ArgumentNullException.ThrowIfNull(order);
        foreach (var kind in order)
        {
            var s = saved?.FirstOrDefault(r => r.Kind == kind);
            kinds[kind] = (s?.Imported ?? 0, s?.Skipped ?? 0, s?.Failed ?? 0, [.. s?.Failures ?? []], [.. s?.Notes ?? []]);
        }
    }

    /// <summary>Counts resources written.</summary>
    public void Imported(string kind, long count = 1) => Change(kind, c => c with { Imported = c.Imported + count });

    /// <summary>Counts resources left as they were (equal, or kept by the policy).</summary>
    public void Skipped(string kind, long count = 1) => Change(kind, c => c with { Skipped = c.Skipped + count });

    /// <summary>Counts resources refused, keeping the first reasons.</summary>
    public void Failed(string kind, string id, string reason, long count = 1)
    {
        Change(kind, c => c with { Failed = c.Failed + count });
        if (kinds[kind].Failures.Count < ImportKindReport.MaxFailures)
        {
            kinds[kind].Failures.Add(new ImportIssue(id, reason));
        }
    }

    /// <summary>Keeps a note on an imported resource the user should know about (the first ones).</summary>
    public void Note(string kind, string id, string note)
    {
        if (kinds[kind].Notes.Count < ImportKindReport.MaxFailures)
        {
            kinds[kind].Notes.Add(new ImportIssue(id, note));
        }
    }

    /// <summary>The report as it stands, to save at a checkpoint.</summary>
    public IReadOnlyList<ImportKindReport> Snapshot() =>
        [.. kinds.Select(k => new ImportKindReport(k.Key, k.Value.Imported, k.Value.Skipped, k.Value.Failed, [.. k.Value.Failures], [.. k.Value.Notes]))];

    private void Change(string kind, Func<(long Imported, long Skipped, long Failed, List<ImportIssue> Failures, List<ImportIssue> Notes), (long, long, long, List<ImportIssue>, List<ImportIssue>)> change) =>
        kinds[kind] = change(kinds[kind]);
}
