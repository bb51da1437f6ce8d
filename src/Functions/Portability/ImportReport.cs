using Serverless.Storage.Portability;

namespace Serverless.Functions.Portability;

/// <summary>Counts an import's outcome per kind as it goes (exact counts; the first reasons kept).</summary>
internal sealed class ImportReport
{
    private readonly Dictionary<string, (long Imported, long Skipped, long Failed, List<ImportIssue> Failures, List<ImportIssue> Notes)> kinds = [];

    public ImportReport(IEnumerable<string> order, IReadOnlyList<ImportKindReport>? saved)
    {
        foreach (var kind in order)
        {
            var s = saved?.FirstOrDefault(r => r.Kind == kind);
            kinds[kind] = (s?.Imported ?? 0, s?.Skipped ?? 0, s?.Failed ?? 0, [.. s?.Failures ?? []], [.. s?.Notes ?? []]);
        }
    }

    public void Imported(string kind, long count = 1) => Change(kind, c => c with { Imported = c.Imported + count });

    public void Skipped(string kind, long count = 1) => Change(kind, c => c with { Skipped = c.Skipped + count });

    public void Failed(string kind, string id, string reason, long count = 1)
    {
        Change(kind, c => c with { Failed = c.Failed + count });
        if (kinds[kind].Failures.Count < ImportKindReport.MaxFailures)
        {
            kinds[kind].Failures.Add(new ImportIssue(id, reason));
        }
    }

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
