using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Purges the run log of a deleted mission (<see cref="RetentionRules.DeletedMission"/>): its run rows, a
/// transaction's worth at a time, then the response bodies they referenced, then whatever else is left in the
/// mission's blob folder (bodies whose row was never written).
/// </summary>
internal static class MissionRunPurge
{
    public static async Task<PurgeOutcome> RunAsync(UserSweep sweep, ExpiryEntry entry, CancellationToken cancellationToken)
    {
        var users = sweep.Storage.Users;
        var missionId = entry.Subject;
        if (await users.FindAsync(sweep.User.Key, UserRowKeys.ForMission(missionId), ["RowKey"], cancellationToken).ConfigureAwait(false) is not null)
        {
            return PurgeOutcome.Stale;
        }

        var due = entry.From + await sweep.RetentionAsync(RetentionRules.DeletedMission, cancellationToken).ConfigureAwait(false);
        if (due > sweep.Now)
        {
            return PurgeOutcome.Reschedule(due);
        }

        string? continuation = null;
        do
        {
            var page = await users.ReadPageAsync(TableFilters.RowKeyStartsWith(sweep.User.Key, UserRowKeys.MissionRunsOf(missionId)), 100, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
            await sweep.Deleter.RowsAsync(page.Entities, null, cancellationToken).ConfigureAwait(false);
            continuation = page.Continuation;
        }
        while (continuation is not null);

        var left = await sweep.Deleter.ListFolderAsync(UserDataKinds.MissionResponseBlobs, missionId, cancellationToken).ConfigureAwait(false);
        await sweep.Deleter.FolderAsync(UserDataKinds.MissionResponseBlobs, left, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        return PurgeOutcome.Done;
    }
}
