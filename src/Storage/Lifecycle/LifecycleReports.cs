using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>How many problems of one code a check found.</summary>
/// <param name="Code">The <see cref="IntegrityProblem.Code"/>.</param>
/// <param name="Count">How many.</param>
public sealed record ProblemCount(string Code, int Count);

/// <summary>The last integrity check of a user, as kept: what is wrong and, after a repair, what the repair did.</summary>
/// <param name="CheckedAt">When the data was last read for the check.</param>
/// <param name="RepairedAt">When the repair ran, if this check followed one.</param>
/// <param name="ProblemCount">All problems found (after the repair, if any): what is left.</param>
/// <param name="ByCode">The problems counted per code.</param>
/// <param name="Problems">The problems, the first <see cref="LifecycleReports.MaxProblems"/> (fewer when long): compare with <see cref="ProblemCount"/>.</param>
/// <param name="Repairs">What the repair did, one line each (empty for a check alone).</param>
public sealed record IntegritySummary(DateTimeOffset CheckedAt, DateTimeOffset? RepairedAt, int ProblemCount, IReadOnlyList<ProblemCount> ByCode, IReadOnlyList<IntegrityProblem> Problems, IReadOnlyList<string> Repairs)
{
    /// <summary>A summary of <paramref name="check"/>, following <paramref name="repair"/> if one ran.</summary>
    public static IntegritySummary Of(IntegrityReport check, IntegrityReport? repair)
    {
        ArgumentNullException.ThrowIfNull(check);
        return new(
            check.CheckedAt,
            repair?.CheckedAt,
            check.Problems.Count,
            check.Problems.GroupBy(p => p.Code, StringComparer.Ordinal).Select(g => new ProblemCount(g.Key, g.Count())).OrderBy(c => c.Code, StringComparer.Ordinal).ToList(),
            check.Problems.Take(LifecycleReports.MaxProblems).ToList(),
            repair?.Repairs.Take(LifecycleReports.MaxProblems).ToList() ?? []);
    }
}

/// <summary>
/// A user's last usage report and last integrity check, kept in one row each of their partition
/// (<c>lifecycle|report|usage</c>, <c>lifecycle|report|integrity</c>), so the API answers with one point read and
/// computes them as jobs. Erasure takes them with the rest of the partition.
/// </summary>
public sealed class LifecycleReports(TableClient users)
{
    /// <summary>Problems and repair lines kept at most (fewer when they would not fit one table property).</summary>
    public const int MaxProblems = 100;

    private const string Usage = "usage";
    private const string Integrity = "integrity";
    private const string ReportColumn = "Report";

    /// <summary>Characters of JSON kept in one row: well inside a 64 KiB string property (UTF-16).</summary>
    private const int MaxJsonChars = 30_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The user's last usage report, or null.</summary>
    public async Task<UsageReport?> GetUsageAsync(UserPartition user, CancellationToken cancellationToken) =>
        await ReadAsync<UsageReport>(user, Usage, cancellationToken).ConfigureAwait(false);

    /// <summary>Keeps <paramref name="report"/> as the user's last usage report.</summary>
    public Task SaveUsageAsync(UserPartition user, UsageReport report, CancellationToken cancellationToken) =>
        WriteAsync(user, Usage, JsonSerializer.Serialize(report, Json), cancellationToken);

    /// <summary>The user's last integrity check, or null.</summary>
    public async Task<IntegritySummary?> GetIntegrityAsync(UserPartition user, CancellationToken cancellationToken) =>
        await ReadAsync<IntegritySummary>(user, Integrity, cancellationToken).ConfigureAwait(false);

    /// <summary>Keeps <paramref name="summary"/> as the user's last integrity check, its problem list shortened to fit one row.</summary>
    /// <returns>What was kept.</returns>
    public async Task<IntegritySummary> SaveIntegrityAsync(UserPartition user, IntegritySummary summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var json = JsonSerializer.Serialize(summary, Json);
        while (json.Length > MaxJsonChars && (summary.Problems.Count > 0 || summary.Repairs.Count > 0))
        {
            summary = summary with { Problems = summary.Problems.Take(summary.Problems.Count / 2).ToList(), Repairs = summary.Repairs.Take(summary.Repairs.Count / 2).ToList() };
            json = JsonSerializer.Serialize(summary, Json);
        }

        await WriteAsync(user, Integrity, json, cancellationToken).ConfigureAwait(false);
        return summary;
    }

    private async Task<T?> ReadAsync<T>(UserPartition user, string name, CancellationToken cancellationToken)
        where T : class =>
        await users.FindAsync(user.Key, UserRowKeys.ForReport(name), cancellationToken: cancellationToken).ConfigureAwait(false) is { } row
            && row.GetString(ReportColumn) is { } json
            ? JsonSerializer.Deserialize<T>(json, Json)
            : null;

    private Task<Azure.ETag> WriteAsync(UserPartition user, string name, string json, CancellationToken cancellationToken) =>
        users.UpsertAsync(new TableEntity(user.Key, UserRowKeys.ForReport(name)) { [ReportColumn] = json }, TableUpdateMode.Replace, cancellationToken);
}
