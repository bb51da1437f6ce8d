namespace Serverless.Storage.Lifecycle;

/// <summary>One thing wrong with a user's data.</summary>
/// <param name="Code">
/// What: <c>dangling_reference</c> (a row names a blob that is missing), <c>orphan_blob</c> (a blob no row names,
/// older than the grace period), <c>segment_mismatch</c> (a thread's segments do not cover its sealed messages exactly),
/// <c>sealed_row_present</c> (a message is both a row and sealed in a segment), <c>message_count</c> and
/// <c>next_sequence</c> (thread counters that disagree with its messages), <c>list_row_missing</c> and
/// <c>list_row_stale</c> (thread list rows that disagree with the thread rows), <c>rows_without_thread</c>.
/// </param>
/// <param name="Subject">The row key or blob name concerned.</param>
/// <param name="Detail">What was found.</param>
/// <param name="Repairable">Whether <see cref="IntegrityChecks.RepairAsync"/> fixes it.</param>
public sealed record IntegrityProblem(string Code, string Subject, string Detail, bool Repairable);

/// <summary>The outcome of an integrity check, or of a repair (then with what it did).</summary>
/// <param name="CheckedAt">When the check read the data.</param>
/// <param name="Problems">What was found wrong (before any repair).</param>
/// <param name="Repairs">What the repair did, one line each (empty for a check).</param>
public sealed record IntegrityReport(DateTimeOffset CheckedAt, IReadOnlyList<IntegrityProblem> Problems, IReadOnlyList<string> Repairs)
{
    /// <summary>The problems a repair leaves for a person to look at.</summary>
    public IEnumerable<IntegrityProblem> Unrepairable => Problems.Where(p => !p.Repairable);
}
