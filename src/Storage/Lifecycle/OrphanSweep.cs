using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Deletes payload blobs that no row references (an append or a run record that uploaded its blob and then failed
/// or crashed before its row committed, a segment of an archive step that lost its race) once they are older than
/// a grace period, so that a write still in flight keeps its blob.
/// </summary>
/// <remarks>
/// <para>
/// Per user: one listing of <c>{userKey}/</c>, one projected scan of every kind of row that references blobs
/// (<see cref="UserDataKinds.Referencing"/>), and for each folder that then seems to hold an orphan, a re-check
/// right before deleting: the folder's referencing rows are read again in the order its
/// <see cref="BlobFolderKind.ReferenceScanOrder"/> gives (segments, messages, segments), so a text that an archive
/// or unarchive step moves between a segment and a message row during the check is seen on one side, and only a
/// blob both checks found unreferenced goes. A blob older than the grace period never becomes referenced again
/// (nothing re-links an old blob; archive steps keep their references, rewrites upload fresh blobs).
/// </para>
/// <para>
/// Users under a legal hold are skipped. Blobs in a folder the registry does not know are reported, never deleted.
/// Across users the sweep is resumable: it records the last user it finished (in the jobs table) and a run with a
/// user budget carries on from there.
/// </para>
/// </remarks>
public sealed class OrphanSweep(LifecycleStorage storage, TimeProvider time)
{
    private const string CursorPartition = OrphanSweepCursor.Partition;
    private const string CursorRow = OrphanSweepCursor.Row;

    private readonly LegalHolds holds = new(storage.Users, time);

    /// <summary>Sweeps one user's blobs.</summary>
    /// <param name="user">The user.</param>
    /// <param name="grace">Blobs younger than this are left alone.</param>
    /// <param name="dryRun">Only report the orphans.</param>
    /// <param name="cancellationToken">Cancels the sweep.</param>
    public async Task<OrphanReport> RunUserAsync(UserPartition user, TimeSpan grace, bool dryRun, CancellationToken cancellationToken)
    {
        var report = new OrphanReportBuilder(dryRun);
        await SweepUserAsync(user, grace, report, cancellationToken).ConfigureAwait(false);
        return report.Build(complete: true);
    }

    /// <summary>Sweeps every user with blobs, carrying on from where the last run with a budget stopped.</summary>
    /// <param name="grace">Blobs younger than this are left alone.</param>
    /// <param name="dryRun">Only report the orphans (and leave the position alone).</param>
    /// <param name="maxUsers">Users to sweep at most in this run.</param>
    /// <param name="cancellationToken">Cancels the sweep (the next run redoes the user it was in).</param>
    public async Task<OrphanReport> RunAsync(TimeSpan grace, bool dryRun, int maxUsers, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxUsers, 1);
        var report = new OrphanReportBuilder(dryRun);
        var after = (await storage.Jobs.FindAsync(CursorPartition, CursorRow, cancellationToken: cancellationToken).ConfigureAwait(false))?.GetString("UserKey");
        var swept = 0;
        await foreach (var item in storage.Payloads.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }, cancellationToken).ConfigureAwait(false))
        {
            if (!item.IsPrefix)
            {
                continue;
            }

            var userKey = item.Prefix.TrimEnd('/');
            if (after is not null && string.CompareOrdinal(userKey, after) <= 0)
            {
                continue;
            }

            if (swept == maxUsers)
            {
                return report.Build(complete: false);
            }

            if (TryUser(userKey) is { } user)
            {
                await SweepUserAsync(user, grace, report, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                report.Unknown.Add(item.Prefix);
            }

            swept++;
            if (!dryRun)
            {
                await storage.Jobs.UpsertAsync(new TableEntity(CursorPartition, CursorRow) { ["UserKey"] = userKey }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }
        }

        if (!dryRun)
        {
            // A full pass: the next run starts over.
            await storage.Jobs.DeleteRowAsync(CursorPartition, CursorRow, Azure.ETag.All, cancellationToken).ConfigureAwait(false);
        }

        return report.Build(complete: true);
    }

    private async Task SweepUserAsync(UserPartition user, TimeSpan grace, OrphanReportBuilder report, CancellationToken cancellationToken)
    {
        report.Users++;
        if (await holds.GetAsync(user, cancellationToken).ConfigureAwait(false) is not null)
        {
            report.HeldUsers++;
            return;
        }

        var cutoff = time.GetUtcNow() - grace;
        var old = new Dictionary<(BlobFolderKind Folder, string Owner), List<BlobItem>>();
        await foreach (var blob in storage.Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = UserBlobNames.Of(user.Key) }, cancellationToken).ConfigureAwait(false))
        {
            report.BlobsChecked++;
            if (UserDataKinds.OfBlob(user.Key, blob.Name) is not { } folder || UserBlobNames.Parse(blob.Name) is not { } parts)
            {
                report.Unknown.Add(blob.Name);
            }
            else if (blob.Properties.LastModified <= cutoff)
            {
                var key = (folder, parts.Owner);
                if (!old.TryGetValue(key, out var list))
                {
                    old[key] = list = [];
                }

                list.Add(blob);
            }
        }

        if (old.Count == 0)
        {
            return;
        }

        // One pass over every referencing row of the user finds the folders worth a closer look.
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kind in UserDataKinds.Referencing)
        {
            await AddReferencesAsync(user, kind, kind.Filter(user), referenced, cancellationToken).ConfigureAwait(false);
        }

        var deleter = new Deleter(storage, user, report.DryRun, report.Deleted);
        foreach (var ((folder, owner), blobs) in old)
        {
            if (blobs.All(b => referenced.Contains(b.Name)))
            {
                continue;
            }

            // The re-check, right before deleting.
            var stillReferenced = new HashSet<string>(StringComparer.Ordinal);
            foreach (var kind in folder.ReferenceScanOrder)
            {
                await AddReferencesAsync(user, kind, folder.RowsReferencing(user, kind, owner), stillReferenced, cancellationToken).ConfigureAwait(false);
            }

            var orphans = blobs.Where(b => !referenced.Contains(b.Name) && !stillReferenced.Contains(b.Name)).ToList();
            report.Orphans.AddRange(orphans.Select(b => b.Name));
            await deleter.FolderAsync(folder, orphans, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AddReferencesAsync(UserPartition user, UserDataKind kind, string filter, HashSet<string> referenced, CancellationToken cancellationToken)
    {
        foreach (var row in await storage.Users.ReadAllAsync(filter, kind.ReferenceColumns, cancellationToken).ConfigureAwait(false))
        {
            referenced.UnionWith(kind.ReferencedBlobs(user, row).Select(b => b.BlobName));
        }
    }

    private static UserPartition? TryUser(string key)
    {
        try
        {
            return UserPartition.FromKey(key);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }

    private sealed class OrphanReportBuilder(bool dryRun)
    {
        public bool DryRun => dryRun;

        public int Users { get; set; }

        public int HeldUsers { get; set; }

        public long BlobsChecked { get; set; }

        public List<string> Orphans { get; } = [];

        public List<string> Unknown { get; } = [];

        public KindTally Deleted { get; } = new();

        public OrphanReport Build(bool complete) => new(dryRun, Users, HeldUsers, BlobsChecked, Orphans, Deleted.ToList(), Unknown, complete);
    }
}

/// <summary>What an orphan sweep found and deleted (in a dry run: would delete).</summary>
/// <param name="DryRun">Whether it only looked.</param>
/// <param name="Users">Users swept.</param>
/// <param name="HeldUsers">Users skipped for a legal hold.</param>
/// <param name="BlobsChecked">Blobs listed.</param>
/// <param name="Orphans">The orphans' names.</param>
/// <param name="Deleted">What was deleted, per kind (the folder's content kind).</param>
/// <param name="Unknown">Blobs or user prefixes no registered folder explains (reported, never deleted).</param>
/// <param name="Complete">Whether every user was swept (false: the user budget ran out; run again to carry on).</param>
public sealed record OrphanReport(bool DryRun, int Users, int HeldUsers, long BlobsChecked, IReadOnlyList<string> Orphans, IReadOnlyList<KindCount> Deleted, IReadOnlyList<string> Unknown, bool Complete);
