using Azure.Data.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Usage;

/// <summary>Reads a user's daily usage rollups (written by <see cref="UsageChanges"/> inside the writes that cause usage).</summary>
public sealed class UsageStore(TableClient table)
{
    /// <summary>The rollups of the days from <paramref name="from"/> to <paramref name="to"/> (inclusive): one range query, O(days).</summary>
    public Task<IReadOnlyList<UsageDay>> ReadAsync(UserPartition user, DateOnly from, DateOnly to, CancellationToken cancellationToken) =>
        UsageRollups.ReadRangeAsync(table, user, from, to, cancellationToken);
}
