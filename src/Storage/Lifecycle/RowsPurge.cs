using Serverless.Storage.Tables;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Purges the rows of a <see cref="RetentionScope.Rows"/> rule's kind that have expired by their own time
/// (<see cref="RetentionRule.ExpiresFrom"/> plus the retention), with the blobs they reference. Rows not yet
/// expired stay: the hour they were written in has an entry of its own.
/// </summary>
internal static class RowsPurge
{
    public static async Task<PurgeOutcome> RunAsync(UserSweep sweep, RetentionRule rule, CancellationToken cancellationToken)
    {
        var retention = await sweep.RetentionAsync(rule, cancellationToken).ConfigureAwait(false);
        var filter = rule.ExpiredRange?.Invoke(sweep.User, sweep.Now - retention) ?? rule.Kind.Filter(sweep.User);
        string? continuation = null;
        do
        {
            var page = await sweep.Storage.Users.ReadPageAsync(filter, 100, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
            var expired = page.Entities.Where(row => rule.ExpiresFrom!(row) is { } from && from + retention <= sweep.Now).ToList();
            await sweep.Deleter.RowsAsync(expired, null, cancellationToken).ConfigureAwait(false);
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return PurgeOutcome.Done;
    }
}
