using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Runs;

/// <summary>
/// Purges runs created longer ago than the user's run retention (<see cref="RetentionRules.Runs"/>): it reads only the
/// expired end of the <c>runx|all|</c> list (newest first, so the expired runs are one range at its end), and deletes
/// each run row with its list rows and its place in the counters in one transaction per page of
/// <see cref="RunsPerTransaction"/> runs (rows under the ETags read; a run changed meanwhile makes the page be read again),
/// then their blobs. Cost follows what expired.
/// </summary>
internal static class RunPurge
{
    /// <summary>Runs per transaction: 1 run row + up to 4 list rows each, plus the counters row, within 100 operations.</summary>
    private const int RunsPerTransaction = 19;

    private const int MaxAttempts = 20;

    public static async Task<PurgeOutcome> RunAsync(UserSweep sweep, ExpiryEntry entry, CancellationToken cancellationToken)
    {
        var users = sweep.Storage.Users;
        var user = sweep.User;
        var cutoff = sweep.Now - await sweep.RetentionAsync(RetentionRules.Runs, cancellationToken).ConfigureAwait(false);
        var all = UserRowKeys.RunListOf("all", null);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {user.Key} and RowKey ge {all + UserRowKeys.InvertedTicks(cutoff)} and RowKey lt {TableFilters.PrefixSuccessor(all)}");
        string? continuation = null;
        do
        {
            var page = await users.ReadPageAsync(filter, RunsPerTransaction, continuation, ["RowKey"], cancellationToken).ConfigureAwait(false);
            for (var attempt = 1; page.Entities.Count > 0; attempt++)
            {
                var counts = await users.FindAsync(user.Key, UserRowKeys.RunCounts, cancellationToken: cancellationToken).ConfigureAwait(false);
                var rows = new List<TableEntity>();
                var delta = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var listRow in page.Entities)
                {
                    var run = await users.FindAsync(user.Key, UserRowKeys.ForRun(RunStore.IdOf(listRow.RowKey)), cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (run is null)
                    {
                        // A list row whose run is gone (cannot happen through the store): just the row.
                        rows.Add(new TableEntity(user.Key, listRow.RowKey) { ETag = ETag.All });
                        continue;
                    }

                    rows.Add(run);
                    rows.AddRange(RunStore.ListRows(user, run).Select(r => { r.ETag = ETag.All; return r; }));
                    var status = RunStore.Summary(run).Status;
                    delta[status] = delta.GetValueOrDefault(status) - 1;
                }

                try
                {
                    await sweep.Deleter.RowsTogetherAsync(rows, counts is null ? [] : [RunStore.CountsAction(user, counts, delta)], cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RequestFailedException e) when (e.Status is 404 or 412 && attempt < MaxAttempts)
                {
                    // A run or the counters changed since they were read: read them again.
                }
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return PurgeOutcome.Done;
    }
}
